import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { hashToken } from "../auth/tokens";
import type { Services } from "../server";
import {
  allowGuests,
  tenantWithOwner as newTenantWithOwner,
  TEST_BASE_DOMAIN,
  TestClient,
  testServices,
} from "../testing";
import { GUESTS_DISABLED_MESSAGE } from "./rules";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A tenant with "Allow guests" on (most tests here invite guests); see "the Allow guests setting". */
async function tenantWithOwner(...args: Parameters<typeof newTenantWithOwner>) {
  const owner = await newTenantWithOwner(...args);
  await allowGuests(services, owner.tenant.id);
  return owner;
}
type Owner = Awaited<ReturnType<typeof tenantWithOwner>>;
type Role = "admin" | "member" | "guest";

async function rejects(p: Promise<unknown> | (() => Promise<unknown>)) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    const err = e as { code: string; message: string; cause?: { code?: string; details?: unknown } };
    return { code: err.code, appCode: err.cause?.code, message: err.message, details: err.cause?.details };
  }
  throw new Error("expected a rejection");
}

const quiet = () => vi.spyOn(console, "info").mockImplementation(() => {});

/** A signed-out browser on the same host. */
const visitor = (c: TestClient) => new TestClient(services, c.host);

async function invite(client: TestClient, email: string, role: Role = "member") {
  quiet();
  return client.call((c) => c.members.invite({ email, role }));
}

async function accept(host: TestClient, token: string, name = "New Person", password = "member-password-1") {
  const browser = visitor(host);
  const res = await browser.call((c) => c.members.acceptInvitation({ token, name, password }));
  return { browser, user: res.user };
}

/** Invites and accepts: a signed-in client of the new member. */
async function member(owner: Owner, role: Role, email = `${role}-${uniqueSlug("u")}@people.test`) {
  const { token } = await invite(owner.client, email, role);
  const { browser, user } = await accept(owner.client, token);
  return { client: browser, user, email };
}

/** Polls until `check` holds or the time is up; says which. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function auditActions(tenantId: string) {
  const rows = await services.db.admin<{ action: string; actor_id: string | null; resource_id: string }[]>`
    select action, actor_id, resource_id from public.tenant_audit_logs where tenant_id = ${tenantId} order by id`;
  return rows;
}

async function usersByEmail(schema: string, email: string) {
  const sql = services.db.admin;
  return sql<{ id: string; role: string; deactivated_at: Date | null }[]>`
    select id, role, deactivated_at from ${sql(schema)}.users where lower(email) = ${email.toLowerCase()}`;
}

describe("invitations", () => {
  it("invite → preview → accept creates the user with the role, joins default channels, signs them in", async () => {
    const slug = uniqueSlug("inv");
    const owner = await tenantWithOwner(services, slug);
    const log = quiet();
    const res = await owner.client.call((c) =>
      c.members.invite({ email: "  Ann@People.TEST ", role: "member" }),
    );
    expect(res.invitation).toMatchObject({
      email: "ann@people.test",
      role: "member",
      invitedBy: owner.ownerId,
    });
    expect(res.acceptUrl).toBe(`http://${slug}.${TEST_BASE_DOMAIN}/invite/${res.token}`);
    expect(log).toHaveBeenCalledWith(`invite link for ann@people.test: ${res.acceptUrl}`);
    const expiresIn = res.invitation.expiresAt.getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(7 * 86_400_000);

    // Only the hash is stored.
    const [stored] = await services.db.admin<{ token_hash: string }[]>`
      select token_hash from public.tenant_invitations where id = ${res.invitation.id}`;
    expect(stored?.token_hash).toBe(hashToken(res.token));

    const listed = await owner.client.call((c) => c.members.list());
    expect(listed.invitations).toEqual([res.invitation]);

    const anon = visitor(owner.client);
    expect(await anon.call((c) => c.members.invitation({ token: res.token }))).toEqual({
      email: "ann@people.test",
      role: "member",
      tenantName: `Org ${slug}`,
      expired: false,
    });

    const accepted = await anon.call((c) =>
      c.members.acceptInvitation({ token: res.token, name: " Ann ", password: "member-password-1" }),
    );
    expect(accepted.user).toMatchObject({ email: "ann@people.test", name: "Ann", role: "member" });
    expect(anon.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(await anon.call((c) => c.auth.me())).toMatchObject({
      user: { email: "ann@people.test", role: "member" },
    });

    const sql = services.db.admin;
    const channels = await sql<{ name: string }[]>`
      select c.name from ${sql(owner.tenant.schemaName)}.channel_members m
      join ${sql(owner.tenant.schemaName)}.channels c on c.id = m.channel_id
      where m.user_id = ${accepted.user.id}`;
    expect(channels.map((c) => c.name)).toEqual(["general"]);

    const after = await owner.client.call((c) => c.members.list());
    expect(after.invitations).toEqual([]);
    expect(after.members.map((m) => [m.email, m.role])).toEqual([
      [`owner@${slug}.test`, "owner"],
      ["ann@people.test", "member"],
    ]);

    // Used: neither the preview nor a second accept knows it any more.
    expect(await rejects(anon.call((c) => c.members.invitation({ token: res.token })))).toMatchObject({
      appCode: "NOT_FOUND",
    });
    expect(await rejects(accept(owner.client, res.token, "Again", "another-password-1"))).toMatchObject({
      code: "NOT_FOUND",
      appCode: "NOT_FOUND",
    });
    expect(await usersByEmail(owner.tenant.schemaName, "ann@people.test")).toHaveLength(1);

    // The new member signs in with the password they chose.
    const again = visitor(owner.client);
    await again.call((c) => c.auth.signIn({ email: "ann@people.test", password: "member-password-1" }));
    expect(await again.call((c) => c.auth.me())).toMatchObject({ user: { id: accepted.user.id } });

    const audit = await auditActions(owner.tenant.id);
    expect(audit.map((a) => a.action)).toEqual(["tenant.create", "member.invite", "member.join"]);
    expect(audit[1]).toMatchObject({ actor_id: owner.ownerId, resource_id: res.invitation.id });
    expect(audit[2]).toMatchObject({ actor_id: accepted.user.id, resource_id: accepted.user.id });
  });

  it("refuses an expired invitation; resend issues a new link and the old one stops working", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("exp"));
    const first = await invite(owner.client, "late@people.test");
    await services.db.admin`
      update public.tenant_invitations set expires_at = now() - interval '1 minute' where id = ${first.invitation.id}`;
    const anon = visitor(owner.client);
    expect(await anon.call((c) => c.members.invitation({ token: first.token }))).toMatchObject({
      expired: true,
    });
    const expired = await rejects(accept(owner.client, first.token));
    expect(expired).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
    expect(expired.message).toMatch(/expired/);
    expect(await usersByEmail(owner.tenant.schemaName, "late@people.test")).toHaveLength(0);

    // Expired invitations stay listed (they can be resent).
    expect((await owner.client.call((c) => c.members.list())).invitations.map((i) => i.id)).toEqual([
      first.invitation.id,
    ]);

    const second = await owner.client.call((c) => c.members.resend({ id: first.invitation.id }));
    expect(second.invitation.id).toBe(first.invitation.id);
    expect(second.token).not.toBe(first.token);
    expect(second.invitation.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(await rejects(anon.call((c) => c.members.invitation({ token: first.token })))).toMatchObject({
      appCode: "NOT_FOUND",
    });
    expect(await rejects(accept(owner.client, first.token))).toMatchObject({ appCode: "NOT_FOUND" });

    const { user } = await accept(owner.client, second.token);
    expect(user).toMatchObject({ email: "late@people.test", role: "member" });
    const actions = (await auditActions(owner.tenant.id)).map((a) => a.action);
    expect(actions).toEqual(["tenant.create", "member.invite", "member.reinvite", "member.join"]);
  });

  it("a new invitation replaces an expired one; concurrent invites of one email yield one", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("repl"));
    const old = await invite(owner.client, "again@people.test");
    await services.db.admin`
      update public.tenant_invitations set expires_at = now() - interval '1 minute' where id = ${old.invitation.id}`;
    const fresh = await invite(owner.client, "again@people.test", "guest");
    expect((await owner.client.call((c) => c.members.list())).invitations.map((i) => i.id)).toEqual([
      fresh.invitation.id,
    ]);
    expect(await rejects(accept(owner.client, old.token))).toMatchObject({ appCode: "NOT_FOUND" });

    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        owner.client.call((c) => c.members.invite({ email: "burst@people.test", role: "member" })),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("CONFLICT");
    const [n] = await services.db.admin<{ n: number }[]>`
      select count(*)::int as n from public.tenant_invitations
      where tenant_id = ${owner.tenant.id} and email = 'burst@people.test'`;
    expect(n?.n).toBe(1);
  });

  it("resend invalidates the previous link of a live invitation too", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rs"));
    const first = await invite(owner.client, "twice@people.test", "guest");
    const second = await owner.client.call((c) => c.members.resend({ id: first.invitation.id }));
    expect(await rejects(accept(owner.client, first.token))).toMatchObject({ appCode: "NOT_FOUND" });
    expect((await accept(owner.client, second.token)).user).toMatchObject({ role: "guest" });
    // Accepted: nothing left to resend or revoke.
    for (const call of [
      () => owner.client.call((c) => c.members.resend({ id: first.invitation.id })),
      () => owner.client.call((c) => c.members.revoke({ id: first.invitation.id })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
  });

  it("revoke makes the link unusable", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rv"));
    const res = await invite(owner.client, "nope@people.test");
    expect(await owner.client.call((c) => c.members.revoke({ id: res.invitation.id }))).toEqual({ ok: true });
    const anon = visitor(owner.client);
    expect(await rejects(anon.call((c) => c.members.invitation({ token: res.token })))).toMatchObject({
      appCode: "NOT_FOUND",
    });
    expect(await rejects(accept(owner.client, res.token))).toMatchObject({ appCode: "NOT_FOUND" });
    expect((await owner.client.call((c) => c.members.list())).invitations).toEqual([]);
    expect(
      await rejects(owner.client.call((c) => c.members.revoke({ id: res.invitation.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    expect(
      await rejects(owner.client.call((c) => c.members.resend({ id: res.invitation.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    // A revoked invitation does not block a new one.
    await invite(owner.client, "nope@people.test");
    const actions = (await auditActions(owner.tenant.id)).map((a) => a.action);
    expect(actions).toEqual(["tenant.create", "member.invite", "member.invite_revoke", "member.invite"]);
  });

  it("a concurrent double accept of one token creates exactly one user", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("race"));
    const { token, invitation } = await invite(owner.client, "race@people.test");
    const racers = () =>
      Array.from({ length: 4 }, (_, i) => accept(owner.client, token, `Racer ${i}`, `race-password-${i}x`));

    // Plain race: fire all at once.
    const loose = await Promise.allSettled(racers());
    expect(loose.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await usersByEmail(owner.tenant.schemaName, "race@people.test")).toHaveLength(1);

    // Forced race: every accept is inside its transaction, queued on the invitation row, when the
    // row is released. Exactly one wins; the others then see it used (NOT_FOUND, not a crash).
    const second = await invite(owner.client, "race2@people.test");
    const sql = services.db.admin;
    let settled!: Promise<PromiseSettledResult<unknown>[]>;
    await sql.begin(async (tx) => {
      await tx`select id from public.tenant_invitations where id = ${second.invitation.id} for update`;
      settled = Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          accept(owner.client, second.token, `Racer ${i}`, `pw-racer-${i}xyz`),
        ),
      );
      // As many as the tenant's connections allow waiting on the lock (the rest queue behind them;
      // 10s at most; the outcome must hold either way).
      const inside = Math.min(4, services.env.DATABASE_TENANT_POOL_MAX);
      await waitFor(async () => {
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and usename = ${owner.tenant.dbRole} and wait_event_type = 'Lock'`;
        return (r?.n ?? 0) >= inside;
      });
    });
    const results = await settled;
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed.map((f) => (f.reason as { code: string }).code)).toEqual([
      "NOT_FOUND",
      "NOT_FOUND",
      "NOT_FOUND",
    ]);
    expect(await usersByEmail(owner.tenant.schemaName, "race2@people.test")).toHaveLength(1);
    const joins = (await auditActions(owner.tenant.id)).filter((a) => a.action === "member.join");
    expect(joins).toHaveLength(2);
    expect(new Set(joins.map((j) => j.resource_id)).size).toBe(2);
    expect(invitation.id).not.toBe(second.invitation.id);
  });

  it("refuses existing members, pending duplicates, the owner role and bad input", async () => {
    const slug = uniqueSlug("dup");
    const owner = await tenantWithOwner(services, slug);
    quiet();
    const existing = await rejects(
      owner.client.call((c) => c.members.invite({ email: `OWNER@${slug}.test`, role: "member" })),
    );
    expect(existing).toMatchObject({ code: "CONFLICT", appCode: "CONFLICT" });
    expect(existing.message).toMatch(/already a member/);

    const first = await invite(owner.client, "dup@people.test");
    const dup = await rejects(
      owner.client.call((c) => c.members.invite({ email: "Dup@People.test", role: "guest" })),
    );
    expect(dup).toMatchObject({ code: "CONFLICT", details: { invitationId: first.invitation.id } });
    expect(dup.message).toMatch(/[Rr]esend/);

    // Deliberately outside the input type: what a client that ignores it sends.
    for (const input of [
      { email: "o@people.test", role: "owner" },
      { email: "o@people.test", role: "superuser" },
      { email: "not-an-email", role: "member" },
    ])
      expect(await rejects(owner.client.call((c) => c.members.invite(input as never)))).toMatchObject({
        code: "BAD_REQUEST",
        appCode: "VALIDATION_FAILED",
      });

    // A weak password is refused and leaves the invitation usable.
    expect(await rejects(accept(owner.client, first.token, "Weak", "short"))).toMatchObject({
      appCode: "VALIDATION_FAILED",
    });
    expect((await accept(owner.client, first.token)).user.email).toBe("dup@people.test");
    expect(await rejects(accept(owner.client, "garbage"))).toMatchObject({ appCode: "NOT_FOUND" });
  });

  it("only the owner invites admins; admins invite members and guests; members cannot invite", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("perm"));
    const admin = await member(owner, "admin");
    expect(admin.user.role).toBe("admin");
    quiet();
    expect(
      await rejects(admin.client.call((c) => c.members.invite({ email: "a2@people.test", role: "admin" }))),
    ).toMatchObject({ code: "FORBIDDEN", appCode: "FORBIDDEN" });
    const byAdmin = await admin.client.call((c) =>
      c.members.invite({ email: "m2@people.test", role: "member" }),
    );
    expect(byAdmin.invitation.invitedBy).toBe(admin.user.id);

    // An admin cannot resend or revoke an invitation of an admin (only the owner hands out that role).
    const adminInvite = await invite(owner.client, "a3@people.test", "admin");
    for (const call of [
      () => admin.client.call((c) => c.members.resend({ id: adminInvite.invitation.id })),
      () => admin.client.call((c) => c.members.revoke({ id: adminInvite.invitation.id })),
    ])
      expect(await rejects(call)).toMatchObject({ appCode: "FORBIDDEN" });

    const plain = await member(owner, "member");
    const guest = await member(owner, "guest");
    for (const c of [plain.client, guest.client]) {
      expect(
        await rejects(c.call((x) => x.members.invite({ email: "x@people.test", role: "guest" }))),
      ).toMatchObject({ appCode: "FORBIDDEN" });
      expect(await rejects(c.call((x) => x.members.revoke({ id: byAdmin.invitation.id })))).toMatchObject({
        appCode: "FORBIDDEN",
      });
      // Members and guests see the member list, not the invitations.
      const list = await c.call((x) => x.members.list());
      expect(list.members.length).toBe(4);
      expect(list.invitations).toEqual([]);
    }
    expect(await rejects(visitor(owner.client).call((c) => c.members.list()))).toMatchObject({
      code: "UNAUTHORIZED",
    });

    // The service decides on its own too (a stale actor role does not help).
    await expect(
      services.invitations.invite(
        owner.tenant,
        { type: "user", id: plain.user.id, role: "owner" },
        { email: "y@people.test", role: "admin" },
      ),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("the Allow guests setting", () => {
  const setGuests = (owner: Owner, on: boolean) =>
    owner.client.call((c) => c.tenant.update({ settings: { allowGuestAccess: on } }));
  const refused = { code: "FORBIDDEN", appCode: "FORBIDDEN", message: GUESTS_DISABLED_MESSAGE };

  it("while off, guest invitations are refused (created, resent, accepted) and nobody becomes a guest", async () => {
    const owner = await newTenantWithOwner(services, uniqueSlug("noguest"));
    // The default is off.
    expect((await owner.client.call((c) => c.ui.settings())).allowGuestAccess).toBe(false);
    expect(await rejects(() => invite(owner.client, "g@people.test", "guest"))).toMatchObject({
      ...refused,
      details: { reason: "guests_disabled" },
    });
    expect((await owner.client.call((c) => c.members.list())).invitations).toEqual([]);
    // Members are still invited as usual.
    const plain = await member(owner, "member");

    // An invitation sent while guests were allowed cannot be accepted (nor resent) once they are not.
    await setGuests(owner, true);
    const pending = await invite(owner.client, "late@people.test", "guest");
    await setGuests(owner, false);
    expect(await rejects(() => accept(owner.client, pending.token))).toMatchObject(refused);
    expect(await usersByEmail(owner.tenant.schemaName, "late@people.test")).toEqual([]);
    expect(
      await rejects(owner.client.call((c) => c.members.resend({ id: pending.invitation.id }))),
    ).toMatchObject(refused);
    // Nor can a member be made a guest.
    expect(
      await rejects(owner.client.call((c) => c.members.changeRole({ userId: plain.user.id, role: "guest" }))),
    ).toMatchObject(refused);

    // Turned back on, the same invitation works.
    await setGuests(owner, true);
    expect((await accept(owner.client, pending.token)).user).toMatchObject({ role: "guest" });
  });

  it("turning it off keeps existing guests (documented): they stay until removed or given another role", async () => {
    const owner = await newTenantWithOwner(services, uniqueSlug("keepguest"));
    await setGuests(owner, true);
    const guest = await member(owner, "guest");
    await setGuests(owner, false);
    expect(await guest.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "guest" } });
    expect((await owner.client.call((c) => c.members.list())).members.map((m) => m.role)).toContain("guest");
    // They can be moved to a non-guest role or removed.
    await owner.client.call((c) => c.members.changeRole({ userId: guest.user.id, role: "member" }));
  });
});

describe("roles and removal", () => {
  it("changes a role without signing the member out: the new role applies to their next request; audited", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("role"));
    const m = await member(owner, "member");
    expect(await m.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "member" } });
    // Members cannot invite; the same session can once it is an admin's.
    await expect(
      m.client.call((c) => c.members.invite({ email: "before@people.test", role: "member" })),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    const res = await owner.client.call((c) => c.members.changeRole({ userId: m.user.id, role: "admin" }));
    expect(res.member).toMatchObject({ id: m.user.id, role: "admin" });
    expect(await m.client.call((c) => c.auth.me())).toMatchObject({ user: { id: m.user.id, role: "admin" } });
    await m.client.call((c) => c.members.invite({ email: "after@people.test", role: "member" }));

    // Down again: the same session loses the right at once.
    await owner.client.call((c) => c.members.changeRole({ userId: m.user.id, role: "member" }));
    expect(await m.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "member" } });
    await expect(
      m.client.call((c) => c.members.invite({ email: "again@people.test", role: "member" })),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    const [row] = await services.db.admin<{ before: unknown; after: unknown; actor_id: string }[]>`
      select before, after, actor_id from public.tenant_audit_logs
      where tenant_id = ${owner.tenant.id} and action = 'member.role_change' order by created_at limit 1`;
    expect(row).toEqual({
      before: { email: m.email, role: "member" },
      after: { email: m.email, role: "admin" },
      actor_id: owner.ownerId,
    });
  });

  it("protects the owner, oneself and admins from those below the owner", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("prot"));
    const admin = await member(owner, "admin");
    const admin2 = await member(owner, "admin");
    const plain = await member(owner, "member");

    const forbidden = { code: "FORBIDDEN", appCode: "FORBIDDEN" };
    const cases = [
      () => owner.client.call((c) => c.members.changeRole({ userId: owner.ownerId, role: "admin" })),
      () => owner.client.call((c) => c.members.remove({ userId: owner.ownerId })),
      () => admin.client.call((c) => c.members.changeRole({ userId: owner.ownerId, role: "member" })),
      () => admin.client.call((c) => c.members.remove({ userId: owner.ownerId })),
      () => admin.client.call((c) => c.members.changeRole({ userId: admin.user.id, role: "member" })),
      () => admin.client.call((c) => c.members.remove({ userId: admin.user.id })),
      () => admin.client.call((c) => c.members.changeRole({ userId: admin2.user.id, role: "member" })),
      () => admin.client.call((c) => c.members.remove({ userId: admin2.user.id })),
      () => admin.client.call((c) => c.members.changeRole({ userId: plain.user.id, role: "admin" })),
      () => plain.client.call((c) => c.members.changeRole({ userId: admin.user.id, role: "guest" })),
      () => plain.client.call((c) => c.members.remove({ userId: admin.user.id })),
    ];
    for (const call of cases) expect(await rejects(call)).toMatchObject(forbidden);
    expect(
      await rejects(
        owner.client.call((c) => c.members.changeRole({ userId: plain.user.id, role: "owner" as never })),
      ),
    ).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });

    // What an admin may do: members and guests, up to member.
    expect(
      (await admin.client.call((c) => c.members.changeRole({ userId: plain.user.id, role: "guest" }))).member
        .role,
    ).toBe("guest");

    const roles = Object.fromEntries(
      (await owner.client.call((c) => c.members.list())).members.map((m) => [m.id, m.role]),
    );
    expect(roles).toEqual({
      [owner.ownerId]: "owner",
      [admin.user.id]: "admin",
      [admin2.user.id]: "admin",
      [plain.user.id]: "guest",
    });

    for (const userId of ["00000000-0000-4000-8000-000000000000", "not-a-uuid", ""])
      for (const call of [
        () => owner.client.call((c) => c.members.changeRole({ userId, role: "member" })),
        () => owner.client.call((c) => c.members.remove({ userId })),
      ])
        expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
  });

  it("removal deactivates (messages stay), ends sessions at once; re-inviting reactivates", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rm"));
    const m = await member(owner, "member");
    const sql = services.db.admin;
    const schema = sql(owner.tenant.schemaName);
    await sql`insert into ${schema}.messages (channel_id, user_id, body)
      select id, ${m.user.id}, 'hello' from ${schema}.channels where name = 'general'`;

    expect(await owner.client.call((c) => c.members.remove({ userId: m.user.id }))).toEqual({ ok: true });
    expect(await m.client.call((c) => c.auth.me())).toBeNull();
    expect(await rejects(m.client.call((c) => c.members.list()))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(
      await rejects(
        visitor(owner.client).call((c) => c.auth.signIn({ email: m.email, password: "member-password-1" })),
      ),
    ).toMatchObject({ code: "UNAUTHORIZED" });
    const [user] = await usersByEmail(owner.tenant.schemaName, m.email);
    expect(user?.deactivated_at).not.toBeNull();
    const [kept] = await sql<{ n: number }[]>`
      select count(*)::int as n from ${schema}.messages where user_id = ${m.user.id}`;
    expect(kept?.n).toBe(1);
    expect((await owner.client.call((c) => c.members.list())).members.map((x) => x.id)).toEqual([
      owner.ownerId,
    ]);
    expect(await rejects(owner.client.call((c) => c.members.remove({ userId: m.user.id })))).toMatchObject({
      appCode: "NOT_FOUND",
    });

    const back = await invite(owner.client, m.email, "guest");
    const { user: returned } = await accept(owner.client, back.token, "Back Again", "new-password-123");
    expect(returned).toMatchObject({ id: m.user.id, role: "guest", name: "Back Again" });
    expect(await usersByEmail(owner.tenant.schemaName, m.email)).toHaveLength(1);

    const actions = (await auditActions(owner.tenant.id)).map((a) => a.action);
    expect(actions).toEqual([
      "tenant.create",
      "member.invite",
      "member.join",
      "member.remove",
      "member.invite",
      "member.join",
    ]);
  });
});

describe("tenant isolation", () => {
  it("tenant A's owner cannot act on tenant B, from B's host or with B's ids on A's host", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("isa"));
    const b = await tenantWithOwner(services, uniqueSlug("isb"));
    const bMember = await member(b, "member");
    const bInvite = await invite(b.client, "pending@b.test", "member");
    const before = await b.client.call((c) => c.members.list());

    // A's session on B's host is no session at all.
    const intruder = new TestClient(services, b.client.host);
    intruder.cookies.set(SESSION_COOKIE, a.client.cookies.get(SESSION_COOKIE)!);
    for (const call of [
      () => intruder.call((c) => c.members.list()),
      () => intruder.call((c) => c.members.invite({ email: "evil@a.test", role: "member" })),
      () => intruder.call((c) => c.members.changeRole({ userId: bMember.user.id, role: "guest" })),
      () => intruder.call((c) => c.members.remove({ userId: bMember.user.id })),
      () => intruder.call((c) => c.members.revoke({ id: bInvite.invitation.id })),
      () => intruder.call((c) => c.members.resend({ id: bInvite.invitation.id })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "UNAUTHORIZED" });

    // On A's own host, B's ids do not exist.
    for (const call of [
      () => a.client.call((c) => c.members.changeRole({ userId: bMember.user.id, role: "guest" })),
      () => a.client.call((c) => c.members.remove({ userId: bMember.user.id })),
      () => a.client.call((c) => c.members.remove({ userId: b.ownerId })),
      () => a.client.call((c) => c.members.revoke({ id: bInvite.invitation.id })),
      () => a.client.call((c) => c.members.resend({ id: bInvite.invitation.id })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });

    // And through the service directly, with A's owner as actor and B's tenant: B's rows are
    // reachable, but A's owner is no user of B.
    await expect(
      services.members.remove(b.tenant, { type: "user", id: a.ownerId, role: "owner" }, bMember.user.id),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    expect(await b.client.call((c) => c.members.list())).toEqual(before);
    expect(await bMember.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "member" } });
    expect((await auditActions(b.tenant.id)).map((x) => x.action)).toEqual([
      "tenant.create",
      "member.invite",
      "member.join",
      "member.invite",
    ]);
  });

  it("tenant A's invitation token is unknown on tenant B's host", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("tka"));
    const b = await tenantWithOwner(services, uniqueSlug("tkb"));
    const { token } = await invite(a.client, "cross@people.test");
    const onB = visitor(b.client);
    expect(await rejects(onB.call((c) => c.members.invitation({ token })))).toMatchObject({
      code: "NOT_FOUND",
      appCode: "NOT_FOUND",
    });
    expect(
      await rejects(
        onB.call((c) => c.members.acceptInvitation({ token, name: "X", password: "cross-password-1" })),
      ),
    ).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    expect(await usersByEmail(b.tenant.schemaName, "cross@people.test")).toHaveLength(0);
    expect(onB.cookies.has(SESSION_COOKIE)).toBe(false);
    // Still valid where it belongs.
    expect((await accept(a.client, token)).user.email).toBe("cross@people.test");
  });
});
