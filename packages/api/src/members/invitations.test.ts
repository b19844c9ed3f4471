import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { hashToken } from "../auth/tokens";
import { TEST_BASE_DOMAIN } from "../testing";
import {
  accept,
  auditActions,
  invite,
  member,
  quiet,
  rejects,
  services,
  tenantWithOwner,
  useKit,
  usersByEmail,
  visitor,
  waitFor,
} from "./test-kit";

/** Invitations: invite, preview, accept, resend, revoke, who may invite whom. */

useKit();

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
