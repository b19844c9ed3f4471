import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { tenantWithOwner as newTenantWithOwner, TestClient } from "../testing";
import { GUESTS_DISABLED_MESSAGE } from "./rules";
import {
  accept,
  auditActions,
  invite,
  member,
  type Owner,
  rejects,
  services,
  tenantWithOwner,
  useKit,
  usersByEmail,
  visitor,
} from "./test-kit";

/** Members: the Allow guests setting, roles and removal, tenant isolation. */

useKit();

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
