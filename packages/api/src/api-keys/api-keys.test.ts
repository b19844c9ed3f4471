import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { hashToken } from "../auth/tokens";
import { TestClient, tenantWithOwner } from "../testing";
import {
  auditOf,
  createKey,
  keyClient,
  keyRows,
  proTenant,
  rejects,
  services,
  signedInAs,
  superAdmin,
  useKit,
} from "./test-kit";

/** API keys as the owner and admins manage them: creating (plan, roles, scopes), listing, revoking, audit. */

useKit();

describe("creating keys", () => {
  it("needs the apiAccess feature of the plan", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("free"));
    expect(await rejects(createKey(client, "read"))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FEATURE_NOT_IN_PLAN",
      message: "API access is not included in your plan.",
      details: { feature: "apiAccess" },
    });
    expect(await keyRows(tenant)).toHaveLength(0);
    expect(await auditOf(tenant.id, "api_key.create")).toHaveLength(0);

    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    expect(await createKey(client, "read")).toMatchObject({ scope: "read" });
  });

  it("returns the key once and stores only its hash, with a service user of role member", async () => {
    const { client, tenant, ownerId } = await proTenant();
    const created = await createKey(client, "write", "  CI bot ");
    expect(created).toEqual({
      key: expect.stringMatching(/^nck_[A-Za-z0-9_-]{43}$/),
      id: expect.any(String),
      name: "CI bot",
      scope: "write",
      prefix: created.key.slice(0, 12),
      createdAt: expect.any(Date),
    });

    const [row, ...others] = await keyRows(tenant);
    expect(others).toHaveLength(0);
    expect(row).toMatchObject({ id: created.id, key_hash: hashToken(created.key), prefix: created.prefix });
    const [dump] = await services.db.admin.unsafe(
      `select (select json_agg(k) from "${tenant.schemaName}".api_keys k)::text as keys,
              (select json_agg(u) from "${tenant.schemaName}".users u)::text as users`,
    );
    expect(`${dump!.keys}${dump!.users}`).not.toContain(created.key);

    const [user] = await services.db.admin.unsafe(
      `select email, name, role::text, is_service, password_hash from "${tenant.schemaName}".users where id = $1`,
      [row!.service_user_id],
    );
    expect(user).toEqual({
      email: `api-key+${created.id}@service.invalid`,
      name: "API key: CI bot",
      role: "member",
      is_service: true,
      password_hash: null,
    });
    // Service users do not count against the plan's user limit.
    const limits = await services.tenants.checkLimits(tenant);
    expect(limits.resources.find((r) => r.resource === "users")?.used).toBe(1);

    expect((await client.call((c) => c.apiKeys.list()))[0]).toMatchObject({ createdBy: ownerId });
  });

  it("validates name and scope", async () => {
    const { client } = await proTenant();
    for (const input of [
      { name: " ", scope: "read" },
      { name: "x".repeat(101), scope: "read" },
      { name: "ok", scope: "owner" },
    ]) {
      expect(
        await rejects(client.call((c) => c.apiKeys.create(input as { name: string; scope: "read" }))),
      ).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
    }
    // Validated once, by the procedure: its message names the field's rule.
    expect(await rejects(client.call((c) => c.apiKeys.create({ name: "", scope: "read" })))).toMatchObject({
      appCode: "VALIDATION_FAILED",
      message: "Give the key a name.",
      details: { fields: [{ path: "name", message: "Give the key a name." }] },
    });
  });

  it("is for owners and admins only", async () => {
    const { client, tenant } = await proTenant();
    for (const role of ["member", "guest"] as const) {
      const user = await signedInAs(tenant, client.host, role);
      expect(await rejects(createKey(user, "read"))).toMatchObject({
        code: "FORBIDDEN",
        appCode: "FORBIDDEN",
      });
      expect(await rejects(user.call((c) => c.apiKeys.list()))).toMatchObject({ code: "FORBIDDEN" });
    }
    const admin = await signedInAs(tenant, client.host, "admin");
    expect(await createKey(admin, "read")).toMatchObject({ scope: "read" });
    // The service refuses on its own too.
    await expect(
      services.apiKeys.create(tenant, { type: "user", role: "member" }, { name: "x", scope: "read" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await keyRows(tenant)).toHaveLength(1);
  });

  it("an admin key: made by owners and admins only (as they are now), never by the platform or by a key", async () => {
    const { client, tenant } = await proTenant("keyadm");
    const admin = await signedInAs(tenant, client.host, "admin");
    for (const maker of [client, admin]) {
      const created = await createKey(maker, "admin");
      expect(created).toMatchObject({ scope: "admin" });
      const [row] = (await keyRows(tenant)).filter((r) => r.id === created.id);
      const [user] = await services.db.admin.unsafe(
        `select role::text, is_service from "${tenant.schemaName}".users where id = $1`,
        [row!.service_user_id],
      );
      expect(user).toEqual({ role: "admin", is_service: true });
    }
    const before = (await keyRows(tenant)).length;
    // The platform acts as no person of the workspace: it makes no admin key.
    expect(
      await rejects(services.apiKeys.create(tenant, superAdmin, { name: "platform", scope: "admin" })),
    ).toMatchObject({
      code: "FORBIDDEN",
      message: "Only a workspace owner or admin can create an admin API key.",
    });
    // A role that is stale in the caller's hands does not count: the stored one does.
    expect(
      await rejects(
        services.apiKeys.create(
          tenant,
          { type: "user", id: "00000000-0000-4000-8000-000000000000", role: "owner" },
          { name: "ghost", scope: "admin" },
        ),
      ),
    ).toMatchObject({ code: "FORBIDDEN" });
    // A key, even an admin one, neither creates nor revokes keys.
    const adminKey = keyClient(client.host, (await createKey(client, "admin", "boss")).key);
    expect(
      await rejects(adminKey.call((c) => c.apiKeys.create({ name: "child", scope: "admin" }))),
    ).toMatchObject({
      code: "FORBIDDEN",
      message: "API keys cannot manage API keys.",
    });
    const [first] = await keyRows(tenant);
    expect(await rejects(adminKey.call((c) => c.apiKeys.revoke({ id: first!.id })))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await keyRows(tenant)).toHaveLength(before + 1);
    expect(
      (await client.call((c) => c.apiKeys.list())).find((k) => k.id === first!.id)?.revokedAt,
    ).toBeNull();
  });

  it("anonymous callers are refused", async () => {
    const { client } = await proTenant();
    const anon = new TestClient(services, client.host);
    expect(await rejects(createKey(anon, "read"))).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("listing and revoking", () => {
  it("lists keys without hashes or keys, newest first", async () => {
    const { client, tenant } = await proTenant();
    const a = await createKey(client, "read", "first");
    const b = await createKey(client, "write", "second");
    const list = await client.call((c) => c.apiKeys.list());
    expect(list.map((k) => k.id)).toEqual([b.id, a.id]);
    for (const k of list) {
      expect(Object.keys(k).sort()).toEqual(
        ["createdAt", "createdBy", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scope"].sort(),
      );
    }
    const json = JSON.stringify(list);
    for (const secret of [a.key, b.key, hashToken(a.key), hashToken(b.key)])
      expect(json).not.toContain(secret);
    expect(list[0]).toMatchObject({ name: "second", scope: "write", prefix: b.prefix, revokedAt: null });
    // Another tenant sees none of them.
    const other = await proTenant();
    expect(await other.client.call((c) => c.apiKeys.list())).toEqual([]);
    expect(await services.apiKeys.list(tenant)).toHaveLength(2);
  });

  it("revokes a key: it stops working at once; unknown, foreign and malformed ids are NOT_FOUND", async () => {
    const { client, tenant } = await proTenant();
    const key = await createKey(client, "read");
    const api = keyClient(client.host, key.key);
    await api.call((c) => c.tenant.get());

    const revoked = await client.call((c) => c.apiKeys.revoke({ id: key.id }));
    expect(revoked).toMatchObject({ id: key.id, revokedAt: expect.any(Date) });
    expect(await rejects(api.call((c) => c.tenant.get()))).toMatchObject({
      code: "UNAUTHORIZED",
      message: "Invalid API key.",
    });
    expect(await services.apiKeys.authenticate(tenant, key.key)).toBeNull();
    // Revoking again changes nothing.
    expect(await client.call((c) => c.apiKeys.revoke({ id: key.id }))).toEqual(revoked);
    expect(await auditOf(tenant.id, "api_key.revoke")).toHaveLength(1);

    const other = await proTenant();
    const foreign = await createKey(other.client, "read");
    for (const id of [foreign.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid", "1' or '1'='1"]) {
      expect(await rejects(client.call((c) => c.apiKeys.revoke({ id })))).toMatchObject({
        code: "NOT_FOUND",
        appCode: "NOT_FOUND",
      });
    }
    expect(await other.client.call((c) => c.apiKeys.list())).toMatchObject([
      { id: foreign.id, revokedAt: null },
    ]);
  });

  it("writes audit rows for create and revoke, never with the key", async () => {
    const { client, tenant, ownerId } = await proTenant();
    const key = await createKey(client, "write", "audited");
    await client.call((c) => c.apiKeys.revoke({ id: key.id }));
    const [create] = await auditOf(tenant.id, "api_key.create");
    const [revoke] = await auditOf(tenant.id, "api_key.revoke");
    expect(create).toMatchObject({
      actor_type: "user",
      actor_id: ownerId,
      resource_id: key.id,
      after: { name: "audited", scope: "write", prefix: key.prefix },
    });
    expect(revoke).toMatchObject({ actor_type: "user", actor_id: ownerId, resource_id: key.id });
    const all = JSON.stringify(
      await services.db.admin`select * from public.tenant_audit_logs where tenant_id = ${tenant.id}`,
    );
    expect(all).not.toContain(key.key);
    expect(all).not.toContain(hashToken(key.key));
    // The owner reads them through the audit log.
    const log = await client.call((c) => c.audit.list({ limit: 10 }));
    expect(log.items.map((i) => i.action).slice(0, 2)).toEqual(["api_key.revoke", "api_key.create"]);
  });
});
