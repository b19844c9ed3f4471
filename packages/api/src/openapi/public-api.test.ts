import { readFileSync } from "node:fs";
import { uniqueSlug } from "@nchat/db/testing";
import { compileErrors, validate } from "@readme/openapi-parser";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import type { Services } from "../server";
import type { Actor } from "../services/actor";
import { randomIp, type TestClient, tenantWithOwner, testServices } from "../testing";
import { generateTypes, TYPES_FILE } from "./generate-types";
import { publicApiHandler } from "./handler";
import type { paths } from "./v1-types";

/**
 * The public REST API through a client generated from its own document (openapi-typescript's types,
 * committed in v1-types.ts and checked against the live document below, + openapi-fetch), against
 * the real handler, PostgreSQL and Redis of the test run. The client's requests reach the handler as
 * the app server hands them over: with the tenant's Host and the client address set by the server.
 */

let services: Services;
const superAdmin: Actor = { type: "super_admin", id: "sa" };

type Workspace = {
  tenant: { id: string; slug: string; schemaName: string };
  owner: TestClient;
  host: string;
  readKey: string;
  writeKey: string;
  readKeyId: string;
  general: string;
};

/** The app server's side: Host from the URL, the socket's address (one per client). */
function serverFetch(ip = randomIp()) {
  return (request: Request) => {
    const headers = new Headers(request.headers);
    headers.set("host", new URL(request.url).host);
    headers.set("x-nchat-client-address", ip);
    return publicApiHandler(services, new Request(request, { headers }));
  };
}

/** A typed client of the workspace at `host` with this API key (or none). */
function api(host: string, key?: string | null, extra: Record<string, string> = {}) {
  return createClient<paths>({
    baseUrl: `http://${host}/api/v1`,
    fetch: serverFetch(),
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra },
  });
}

/** A Pro workspace (API access) with its owner, a read key and a write key. */
async function workspace(base: string): Promise<Workspace> {
  const { tenant, client: owner } = await tenantWithOwner(services, uniqueSlug(base));
  await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
  await services.resolver.invalidate({ slug: tenant.slug });
  const read = await owner.call((c) => c.apiKeys.create({ name: "reader", scope: "read" }));
  const write = await owner.call((c) => c.apiKeys.create({ name: "writer", scope: "write" }));
  const { channels } = await owner.call((c) => c.chat.channels());
  const general = channels.find((c) => c.isDefault)!.id;
  return {
    tenant,
    owner,
    host: owner.host,
    readKey: read.key,
    writeKey: write.key,
    readKeyId: read.id,
    general,
  };
}

let a: Workspace;
let b: Workspace;
beforeAll(async () => {
  services = await testServices();
  [a, b] = await Promise.all([workspace("pa"), workspace("pb")]);
});
afterAll(() => services.close());

const raw = (host: string, path: string, init: RequestInit = {}) =>
  serverFetch()(new Request(`http://${host}/api/v1${path}`, init));

async function storedBodies(ws: Workspace, channelId: string): Promise<string[]> {
  const rows = await services.db.admin.unsafe<{ body: string }[]>(
    `select body from "${ws.tenant.schemaName}".messages where channel_id = $1 order by id`,
    [channelId],
  );
  return rows.map((r) => r.body);
}

describe("the document", () => {
  it("GET /api/v1/openapi.json is a valid OpenAPI 3.1 document of the exposed procedures, served for this host", async () => {
    const res = await raw(a.host, "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: `http://${a.host}/api/v1` }]);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
    expect(result.valid).toBe(true);
    const ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(ops).toEqual(
      expect.arrayContaining([
        "GET /channels",
        "POST /channels",
        "GET /channels/{channelId}",
        "PATCH /channels/{channelId}",
        "POST /channels/{channelId}/archive",
        "POST /channels/{channelId}/join",
        "POST /channels/{channelId}/leave",
        "GET /channels/{channelId}/members",
        "GET /channels/{channelId}/messages",
        "POST /channels/{channelId}/messages",
        "PATCH /messages/{messageId}",
        "DELETE /messages/{messageId}",
        "POST /messages/{messageId}/reactions",
        "GET /members",
        "POST /members/invitations",
        "PATCH /members/{userId}",
        "DELETE /members/{userId}",
        "GET /workspace",
        "GET /billing",
        "GET /usage",
        "GET /files/{id}",
      ]),
    );
    // Nothing that was not marked for the public API (sign-in, API keys, admin) is in it.
    expect(ops.some((o) => /auth|apiKeys|admin|api-keys/i.test(o))).toBe(false);
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) {
        expect(op.security).toEqual([{ apiKey: [] }]);
        expect(op.responses["429"]).toEqual({ $ref: "#/components/responses/Error429" });
      }
  });

  it("the committed client types are what the live document generates", async () => {
    expect(await generateTypes()).toBe(readFileSync(TYPES_FILE, "utf8"));
  });

  it("GET /api/v1/docs renders the reference from the document (no scripts)", async () => {
    const res = await raw(a.host, "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain("<title>nchat API reference</title>");
    expect(html).toContain(`http://${a.host}/api/v1`);
    expect(html).toContain("<code>/channels/{channelId}/messages</code>");
    expect(html).toContain('href="openapi.json"');
    expect(html).not.toMatch(/<script/i);
  });
});

describe("reading with a read key", () => {
  it("lists channels and a channel's messages", async () => {
    await a.owner.call((c) => c.chat.send({ channelId: a.general, body: "hello *API*" }));
    const client = api(a.host, a.readKey);
    const channels = await client.GET("/channels");
    expect(channels.response.status).toBe(200);
    expect(channels.data?.channels.map((c) => c.id)).toContain(a.general);
    const general = channels.data!.channels.find((c) => c.id === a.general)!;
    expect(typeof general.createdAt).toBe("string"); // ISO 8601 in JSON
    expect(Number.isNaN(Date.parse(general.createdAt))).toBe(false);

    const page = await client.GET("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general }, query: { limit: 10 } },
    });
    expect(page.response.status).toBe(200);
    expect(page.data?.messages.map((m) => m.body)).toContain("hello *API*");
    expect(page.response.headers.get("ratelimit-remaining")).toMatch(/^\d+$/);

    const one = await client.GET("/channels/{channelId}", { params: { path: { channelId: a.general } } });
    expect(one.data).toMatchObject({ id: a.general, isDefault: true });
    const ws = await client.GET("/workspace");
    expect(ws.data).toMatchObject({ id: a.tenant.id, slug: a.tenant.slug, plan: "pro" });
    const billing = await client.GET("/billing");
    expect(billing.data).toMatchObject({
      plan: "pro",
      limits: expect.objectContaining({ users: expect.any(Number) }),
    });
    const usage = await client.GET("/usage");
    expect(usage.data?.items.find((i) => i.resource === "channels")).toMatchObject({
      used: expect.any(Number),
      state: expect.stringMatching(/^(ok|approaching|reached|over)$/),
    });
    const members = await client.GET("/members");
    expect(members.data?.members.map((m) => m.email)).toContain(`owner@${a.tenant.slug}.test`);
  });

  it("refuses a mutation: 403 FORBIDDEN, nothing stored", async () => {
    const client = api(a.host, a.readKey);
    const res = await client.POST("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
      body: { body: "from a read key" },
    });
    expect(res.response.status).toBe(403);
    expect(res.error).toMatchObject({ data: { appCode: "FORBIDDEN", httpStatus: 403 } });
    expect(await storedBodies(a, a.general)).not.toContain("from a read key");
  });
});

describe("writing with a write key", () => {
  it("joins a channel, sends a message (stored in the workspace's schema), edits, reacts and deletes it", async () => {
    const client = api(a.host, a.writeKey);
    const joined = await client.POST("/channels/{channelId}/join", {
      params: { path: { channelId: a.general } },
    });
    expect(joined.response.status).toBe(200);
    expect(joined.data?.isMember).toBe(true);

    const sent = await client.POST("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
      body: { body: "  sent over REST  " },
    });
    expect(sent.response.status).toBe(200);
    expect(sent.data).toMatchObject({
      channelId: a.general,
      body: "sent over REST",
      author: { name: "API key: writer" },
    });
    expect(await storedBodies(a, a.general)).toContain("sent over REST");
    const messageId = sent.data!.id;

    const edited = await client.PATCH("/messages/{messageId}", {
      params: { path: { messageId } },
      body: { body: "edited over REST" },
    });
    expect(edited.data).toMatchObject({ id: messageId, body: "edited over REST" });
    const reacted = await client.POST("/messages/{messageId}/reactions", {
      params: { path: { messageId } },
      body: { emoji: "👍" },
    });
    expect(reacted.data).toMatchObject({ reacted: true, reactions: [{ emoji: "👍", count: 1, me: true }] });

    // The owner sees it through tRPC as any other message.
    const seen = await a.owner.call((c) => c.chat.list({ channelId: a.general }));
    expect(seen.messages.find((m) => m.id === messageId)).toMatchObject({ body: "edited over REST" });

    const deleted = await client.DELETE("/messages/{messageId}", { params: { path: { messageId } } });
    expect(deleted.data).toEqual({ ok: true });
    const [row] = await services.db.admin.unsafe<{ deleted: boolean }[]>(
      `select deleted_at is not null as deleted from "${a.tenant.schemaName}".messages where id = $1`,
      [messageId],
    );
    expect(row?.deleted).toBe(true);
  });

  it("creates a channel; permissions are the key's service user's (a member cannot change roles)", async () => {
    const client = api(a.host, a.writeKey);
    const created = await client.POST("/channels", { body: { name: "from-the-api", topic: "bots" } });
    expect(created.response.status).toBe(200);
    expect(created.data).toMatchObject({
      name: "from-the-api",
      topic: "bots",
      kind: "public",
      isMember: true,
    });
    const list = await client.GET("/channels/{channelId}/members", {
      params: { path: { channelId: created.data!.id } },
    });
    expect(list.data?.members).toHaveLength(1);

    const owner = (await client.GET("/members")).data!.members.find((m) => m.role === "owner")!;
    const res = await client.PATCH("/members/{userId}", {
      params: { path: { userId: owner.id } },
      body: { role: "guest" },
    });
    expect(res.response.status).toBe(403);
    expect(res.error).toMatchObject({ data: { appCode: "FORBIDDEN" } });
  });
});

describe("authentication", () => {
  it("no key, an unknown key and a revoked key are 401 UNAUTHORIZED", async () => {
    for (const [key, message] of [
      [null, "Send an API key of this workspace: Authorization: Bearer nck_…"],
      ["nck_not-a-real-key-000000000000000000000000", "Invalid API key."],
    ] as const) {
      const res = await api(a.host, key).GET("/channels");
      expect(res.response.status).toBe(401);
      expect(res.error).toMatchObject({ message, data: { appCode: "UNAUTHORIZED", httpStatus: 401 } });
    }
    const { key, id } = await a.owner.call((c) => c.apiKeys.create({ name: "short-lived", scope: "read" }));
    expect((await api(a.host, key).GET("/channels")).response.status).toBe(200);
    await a.owner.call((c) => c.apiKeys.revoke({ id }));
    const res = await api(a.host, key).GET("/channels");
    expect(res.response.status).toBe(401);
    expect(res.error).toMatchObject({ data: { appCode: "UNAUTHORIZED" } });
  });

  it("a session cookie does not authenticate /api/v1 (reads or writes)", async () => {
    const cookie = `${SESSION_COOKIE}=${a.owner.cookies.get(SESSION_COOKIE)}`;
    // The same cookie works on tRPC…
    expect((await a.owner.http("chat.channels")).status).toBe(200);
    // …but not here.
    const client = api(a.host, null, { cookie, origin: `http://${a.host}` });
    expect((await client.GET("/channels")).response.status).toBe(401);
    const send = await client.POST("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
      body: { body: "cookie write" },
    });
    expect(send.response.status).toBe(401);
    expect(await storedBodies(a, a.general)).not.toContain("cookie write");
  });
});

describe("tenant isolation", () => {
  it("a key of workspace A on B's host is 401", async () => {
    const res = await api(b.host, a.readKey).GET("/channels");
    expect(res.response.status).toBe(401);
    expect(res.error).toMatchObject({ data: { appCode: "UNAUTHORIZED" } });
    const write = await api(b.host, a.writeKey).POST("/channels/{channelId}/messages", {
      params: { path: { channelId: b.general } },
      body: { body: "cross-tenant write" },
    });
    expect(write.response.status).toBe(401);
    expect(await storedBodies(b, b.general)).not.toContain("cross-tenant write");
  });

  it("B's key on B's host cannot reach A's ids (404, nothing written in A)", async () => {
    const client = api(b.host, b.writeKey);
    const channel = await client.GET("/channels/{channelId}", { params: { path: { channelId: a.general } } });
    expect(channel.response.status).toBe(404);
    expect(channel.error).toMatchObject({ data: { appCode: "NOT_FOUND" } });
    const history = await client.GET("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
    });
    expect(history.response.status).toBe(404);
    const send = await client.POST("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
      body: { body: "into A from B" },
    });
    expect(send.response.status).toBe(404);
    expect(await storedBodies(a, a.general)).not.toContain("into A from B");
    const [aMessage] = await services.db.admin.unsafe<{ id: number }[]>(
      `select id from "${a.tenant.schemaName}".messages order by id desc limit 1`,
    );
    const edit = await client.PATCH("/messages/{messageId}", {
      params: { path: { messageId: aMessage!.id } },
      body: { body: "rewritten by B" },
    });
    expect(edit.response.status).toBe(404);
    expect(await storedBodies(a, a.general)).not.toContain("rewritten by B");
  });
});

describe("validation", () => {
  it("a bad body is 400 VALIDATION_FAILED with the fields", async () => {
    const client = api(a.host, a.writeKey);
    const res = await client.POST("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general } },
      body: { body: "   " },
    });
    expect(res.response.status).toBe(400);
    // The error shape the document declares (components.schemas.Error), as tRPC answers it.
    expect(res.error).toMatchObject({
      message: "Write a message first.",
      code: -32600,
      data: {
        code: "BAD_REQUEST",
        path: "chat.send",
        appCode: "VALIDATION_FAILED",
        httpStatus: 400,
        fields: [{ path: "body", message: "Write a message first." }],
      },
    });
  });

  it("a bad query value is 400 with its field; query values convert to the schema's types", async () => {
    const client = api(a.host, a.readKey);
    const bad = await raw(a.host, `/channels/${a.general}/messages?limit=lots`, {
      headers: { authorization: `Bearer ${a.readKey}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      data: { appCode: "VALIDATION_FAILED", fields: [expect.objectContaining({ path: "limit" })] },
    });
    const tooMany = await client.GET("/channels/{channelId}/messages", {
      params: { path: { channelId: a.general }, query: { limit: 1000 } },
    });
    expect(tooMany.response.status).toBe(400);

    // includeArchived=false is false (not "a non-empty string, so true").
    const archived = await api(a.host, a.writeKey).POST("/channels", { body: { name: "old-news" } });
    await api(a.host, a.writeKey).POST("/channels/{channelId}/archive", {
      params: { path: { channelId: archived.data!.id } },
    });
    const without = await client.GET("/channels", { params: { query: { includeArchived: false } } });
    const withArchived = await client.GET("/channels", { params: { query: { includeArchived: true } } });
    expect(without.data?.channels.map((c) => c.id)).not.toContain(archived.data!.id);
    expect(withArchived.data?.channels.map((c) => c.id)).toContain(archived.data!.id);
  });

  it("malformed JSON is 400; an unknown operation is 404; a known path with another method is 405", async () => {
    const headers = { authorization: `Bearer ${a.writeKey}`, "content-type": "application/json" };
    const badJson = await raw(a.host, `/channels/${a.general}/messages`, {
      method: "POST",
      headers,
      body: "{oops",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ data: { appCode: "VALIDATION_FAILED" } });
    const unknown = await raw(a.host, "/nothing-here", { headers });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ data: { appCode: "NOT_FOUND" } });
    expect((await raw(a.host, "/workspace", { method: "DELETE", headers })).status).toBe(405);
    expect((await raw(a.host, "/workspace", { method: "HEAD", headers })).status).toBe(200);
  });
});

describe("rate limits and usage", () => {
  it("429 RATE_LIMITED with Retry-After once the key's share of the quota is spent", async () => {
    // Custom plan: 10 requests a minute for the workspace, so 5 for one user (the key's service user).
    const ws = await workspace("prl");
    const t = (await services.tenants.getTenantById(ws.tenant.id))!;
    await services.tenants.updateTenant(
      ws.tenant.id,
      { billingPlan: "custom", limits: { ...t.limits, requestsPerMinute: 10, requestsPerHour: 1_000 } },
      superAdmin,
    );
    await services.resolver.invalidate({ slug: ws.tenant.slug });
    const client = api(ws.host, ws.readKey);
    const statuses: number[] = [];
    let limited: { error?: unknown; response: Response } | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const res = await client.GET("/channels");
      statuses.push(res.response.status);
      if (res.response.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(limited).toBeDefined();
    expect(limited!.error).toMatchObject({ data: { appCode: "RATE_LIMITED", httpStatus: 429 } });
    expect(Number(limited!.response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("calls are metered like API-key calls over tRPC (monthly API calls, per procedure)", async () => {
    const ws = await workspace("pus");
    const usage = async () => {
      await services.usage.flush();
      const [u] = await services.db.admin`
        select api_calls_total::int as total, api_calls_by_endpoint as by from public.tenant_usage
        where tenant_id = ${ws.tenant.id} and period = to_char(now() at time zone 'utc', 'YYYY-MM')`;
      const by = (u?.by ?? {}) as Record<string, number>;
      return { total: u?.total ?? 0, channels: by["chat.channels"] ?? 0, workspace: by["tenant.get"] ?? 0 };
    };
    const before = await usage();
    const client = api(ws.host, ws.readKey);
    for (let i = 0; i < 3; i++) expect((await client.GET("/channels")).response.status).toBe(200);
    expect((await client.GET("/workspace")).response.status).toBe(200);
    // Refused at authentication: not an API call of the workspace.
    const wrong = await api(ws.host, "nck_wrong-000000000000000000000000000000").GET("/channels");
    expect(wrong.response.status).toBe(401);
    const after = await usage();
    expect(after.total - before.total).toBe(4);
    expect(after.channels - before.channels).toBe(3);
    expect(after.workspace - before.workspace).toBe(1);
  });
});
