import { describe, expect, it } from "vitest";
import { a, api, raw, services, superAdmin, useKit, workspace } from "./test-kit";

/** The public REST API's requests: input validation and its errors, rate limits and usage metering. */

useKit("pa");

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
