import { describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { memberOf } from "../testing";
import { a, api, b, services, storedBodies, useKit, type Workspace } from "./test-kit";

/**
 * The public REST API through a client generated from its own document (test-kit.ts): what
 * each key scope may do, authentication and tenant isolation.
 */

useKit("pa", "pb");

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

describe("administering members with an admin key", () => {
  /** The member rows as stored: role and whether they were removed. */
  const stored = async (ws: Workspace, id: string) => {
    const [row] = await services.db.admin.unsafe<{ role: string; removed: boolean }[]>(
      `select role::text, deactivated_at is not null as removed from "${ws.tenant.schemaName}".users where id = $1`,
      [id],
    );
    return row;
  };
  const auditRows = async (ws: Workspace, resourceId: string) =>
    services.db.admin<{ action: string; actor_type: string; actor_id: string }[]>`
      select action, actor_type, actor_id from public.tenant_audit_logs
      where tenant_id = ${ws.tenant.id} and resource_id = ${resourceId} order by id`;

  it("an admin key invites, changes a role and removes a member, audited with the key as the actor", async () => {
    const created = await a.owner.call((c) => c.apiKeys.create({ name: "people-bot", scope: "admin" }));
    const client = api(a.host, created.key);

    const invited = await client.POST("/members/invitations", {
      body: { email: "new-hire@example.com", role: "member" },
    });
    expect(invited.response.status).toBe(200);
    expect(invited.data?.invitation).toMatchObject({ email: "new-hire@example.com", role: "member" });
    expect(invited.data?.acceptUrl).toContain(`http://${a.host}/invite/`);
    // An admin sees the open invitations in the list.
    const list = await client.GET("/members");
    expect(list.data?.invitations.map((i) => i.email)).toContain("new-hire@example.com");

    const person = await memberOf(services, a.tenant, a.host, "member");
    const changed = await client.PATCH("/members/{userId}", {
      params: { path: { userId: person.id } },
      body: { role: "guest" },
    });
    // Guests are off in this workspace: the admin key is bound by the setting as an admin is.
    expect(changed.response.status).toBe(403);
    expect(changed.error).toMatchObject({
      data: { appCode: "FORBIDDEN", details: { reason: "guests_disabled" } },
    });
    const guest = await memberOf(services, a.tenant, a.host, "guest");
    const promoted = await client.PATCH("/members/{userId}", {
      params: { path: { userId: guest.id } },
      body: { role: "member" },
    });
    expect(promoted.response.status).toBe(200);
    expect(promoted.data?.member).toMatchObject({ id: guest.id, role: "member" });
    expect(await stored(a, guest.id)).toEqual({ role: "member", removed: false });

    const removed = await client.DELETE("/members/{userId}", { params: { path: { userId: person.id } } });
    expect(removed.response.status).toBe(200);
    expect(removed.data).toEqual({ ok: true });
    expect(await stored(a, person.id)).toEqual({ role: "member", removed: true });

    // Every change names the key (its id, as the key list shows it), not a person.
    const invitationId = invited.data!.invitation.id;
    expect(await auditRows(a, invitationId)).toEqual([
      { action: "member.invite", actor_type: "api_key", actor_id: created.id },
    ]);
    expect(await auditRows(a, guest.id)).toEqual([
      { action: "member.role_change", actor_type: "api_key", actor_id: created.id },
    ]);
    expect(await auditRows(a, person.id)).toEqual([
      { action: "member.remove", actor_type: "api_key", actor_id: created.id },
    ]);
  });

  it("an admin key never does what only the owner may: no admins made, none demoted or removed, the owner untouched", async () => {
    const { key } = await a.owner.call((c) => c.apiKeys.create({ name: "limited", scope: "admin" }));
    const client = api(a.host, key);
    const admin = await memberOf(services, a.tenant, a.host, "admin");
    const person = await memberOf(services, a.tenant, a.host, "member");
    const owner = (await client.GET("/members")).data!.members.find((m) => m.role === "owner")!;
    for (const [userId, role] of [
      [person.id, "admin"],
      [admin.id, "member"],
      [owner.id, "member"],
    ] as const) {
      const res = await client.PATCH("/members/{userId}", { params: { path: { userId } }, body: { role } });
      expect(res.response.status).toBe(403);
      expect(res.error).toMatchObject({ data: { appCode: "FORBIDDEN" } });
    }
    for (const userId of [admin.id, owner.id]) {
      const res = await client.DELETE("/members/{userId}", { params: { path: { userId } } });
      expect(res.response.status).toBe(403);
    }
    const invite = await client.POST("/members/invitations", {
      body: { email: "boss@example.com", role: "admin" },
    });
    expect(invite.response.status).toBe(403);
    expect(await stored(a, person.id)).toEqual({ role: "member", removed: false });
    expect(await stored(a, admin.id)).toEqual({ role: "admin", removed: false });
    expect(await stored(a, owner.id)).toEqual({ role: "owner", removed: false });
  });

  it("a write key gets 403 FORBIDDEN on invite, role change and removal; nothing changes", async () => {
    const client = api(a.host, a.writeKey);
    const person = await memberOf(services, a.tenant, a.host, "member");
    const invited = await client.POST("/members/invitations", {
      body: { email: "not-by-a-writer@example.com", role: "member" },
    });
    const changed = await client.PATCH("/members/{userId}", {
      params: { path: { userId: person.id } },
      body: { role: "guest" },
    });
    const removed = await client.DELETE("/members/{userId}", { params: { path: { userId: person.id } } });
    for (const res of [invited, changed, removed]) {
      expect(res.response.status).toBe(403);
      expect(res.error).toMatchObject({ data: { appCode: "FORBIDDEN", httpStatus: 403 } });
    }
    expect(await stored(a, person.id)).toEqual({ role: "member", removed: false });
    const open = await a.owner.call((c) => c.members.list());
    expect(open.invitations.map((i) => i.email)).not.toContain("not-by-a-writer@example.com");
  });

  it("an admin key of workspace A on B's host is 401, and changes nothing in B", async () => {
    const { key } = await a.owner.call((c) => c.apiKeys.create({ name: "a-admin", scope: "admin" }));
    const victim = await memberOf(services, b.tenant, b.host, "member");
    const client = api(b.host, key);
    const invited = await client.POST("/members/invitations", {
      body: { email: "spy@example.com", role: "member" },
    });
    const removed = await client.DELETE("/members/{userId}", { params: { path: { userId: victim.id } } });
    for (const res of [invited, removed]) {
      expect(res.response.status).toBe(401);
      expect(res.error).toMatchObject({ data: { appCode: "UNAUTHORIZED" } });
    }
    expect(await stored(b, victim.id)).toEqual({ role: "member", removed: false });
  });

  it("an admin key works only while its creator is an owner or admin: demoted or removed, it is 401; their write key keeps working", async () => {
    const creator = await memberOf(services, a.tenant, a.host, "admin");
    const adminKey = await creator.client.call((c) =>
      c.apiKeys.create({ name: "by-an-admin", scope: "admin" }),
    );
    const writeKey = await creator.client.call((c) =>
      c.apiKeys.create({ name: "by-an-admin-w", scope: "write" }),
    );
    const client = api(a.host, adminKey.key);
    const person = await memberOf(services, a.tenant, a.host, "member");
    expect((await client.GET("/members")).response.status).toBe(200);

    await a.owner.call((c) => c.members.changeRole({ userId: creator.id, role: "member" }));
    const demoted = await client.DELETE("/members/{userId}", { params: { path: { userId: person.id } } });
    expect(demoted.response.status).toBe(401);
    expect(demoted.error).toMatchObject({
      message:
        "This admin API key is no longer valid: the person who created it is no longer an owner or admin of the workspace.",
      data: { appCode: "UNAUTHORIZED" },
    });
    expect((await client.GET("/members")).response.status).toBe(401);
    expect(await stored(a, person.id)).toEqual({ role: "member", removed: false });
    // A read or write key never had more than a member's powers: it does not depend on its creator.
    expect((await api(a.host, writeKey.key).GET("/channels")).response.status).toBe(200);

    // Made an admin again, the creator's key is back (it is checked on every request, not revoked).
    await a.owner.call((c) => c.members.changeRole({ userId: creator.id, role: "admin" }));
    expect((await client.GET("/members")).response.status).toBe(200);
    // Removed: for good.
    await a.owner.call((c) => c.members.remove({ userId: creator.id }));
    expect((await client.GET("/members")).response.status).toBe(401);
    expect((await api(a.host, writeKey.key).GET("/channels")).response.status).toBe(200);
  });
});
