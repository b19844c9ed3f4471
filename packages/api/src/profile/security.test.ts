import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { person, rejects, workspace } from "../chat/test-kit";
import type { Services } from "../server";
import { TestClient, testServices } from "../testing";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const PASSWORD = "member-password-1";

/** Another browser of the same person, signed in with their password. */
async function browser(host: string, email: string, password = PASSWORD, userAgent = "Firefox/140") {
  const client = new TestClient(services, host, "web", { "user-agent": userAgent });
  await client.call((c) => c.auth.signIn({ email, password }));
  return client;
}

/** Whether this browser's session still works. */
const signedIn = async (c: TestClient) =>
  c
    .call((x) => x.profile.me())
    .then(
      () => true,
      (e: { cause?: { code?: string } }) => {
        if (e.cause?.code === "UNAUTHORIZED") return false;
        throw e;
      },
    );

describe("sessions", () => {
  it("lists one's own sessions with device and address, the current one marked; ends one", async () => {
    const ws = await workspace(services, "sec-list");
    const ann = await person(services, ws, "member");
    const laptop = await browser(ws.client.host, ann.user.email);
    const sessions = await ann.client.call((c) => c.profile.sessions());
    expect(sessions).toHaveLength(2);
    const current = sessions.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ userAgent: "vitest", ip: ann.client.ip });
    const other = sessions.find((s) => !s.current)!;
    expect(other).toMatchObject({ userAgent: "Firefox/140", ip: laptop.ip });
    expect(other.lastUsedAt).toBeInstanceOf(Date);

    await ann.client.call((c) => c.profile.revokeSession({ sessionId: other.id }));
    // That session's very next request is refused (every process dropped its cached copy).
    expect(await signedIn(laptop)).toBe(false);
    const res = await laptop.http("profile.me");
    expect(res.status).toBe(401);
    expect(await signedIn(ann.client)).toBe(true);
    expect((await ann.client.call((c) => c.profile.sessions())).map((s) => s.current)).toEqual([true]);
    // Ended once: again is NOT_FOUND.
    expect(
      await rejects(ann.client.call((c) => c.profile.revokeSession({ sessionId: other.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
  });

  it("ends all other sessions at once, keeping the current one", async () => {
    const ws = await workspace(services, "sec-others");
    const ann = await person(services, ws, "member");
    const phone = await browser(ws.client.host, ann.user.email, PASSWORD, "Phone");
    const tablet = await browser(ws.client.host, ann.user.email, PASSWORD, "Tablet");
    expect(await ann.client.call((c) => c.profile.revokeOtherSessions())).toEqual({ ended: 2 });
    expect(await signedIn(phone)).toBe(false);
    expect(await signedIn(tablet)).toBe(false);
    expect(await signedIn(ann.client)).toBe(true);
    // The owner's sessions are someone else's: untouched.
    expect(await signedIn(ws.client)).toBe(true);
  });

  it("nobody lists or ends another person's sessions, in this workspace or another", async () => {
    const a = await workspace(services, "sec-iso-a");
    const b = await workspace(services, "sec-iso-b");
    const ann = await person(services, a, "admin");
    const [ownerSession] = await a.client.call((c) => c.profile.sessions());
    const annSessions = await ann.client.call((c) => c.profile.sessions());
    expect(annSessions.map((s) => s.id)).not.toContain(ownerSession!.id);

    // An admin of the same workspace: NOT_FOUND, as for an unknown id.
    expect(
      await rejects(ann.client.call((c) => c.profile.revokeSession({ sessionId: ownerSession!.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    // Another workspace's owner, on their own host: the id does not exist in their schema.
    expect(
      await rejects(b.client.call((c) => c.profile.revokeSession({ sessionId: ownerSession!.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    // … and with their cookie on A's host they are nobody there.
    const bOnA = new TestClient(services, a.client.host);
    for (const [k, v] of b.client.cookies) bOnA.cookies.set(k, v);
    expect(await rejects(bOnA.call((c) => c.profile.sessions()))).toMatchObject({ appCode: "UNAUTHORIZED" });
    expect(
      await rejects(bOnA.call((c) => c.profile.revokeSession({ sessionId: ownerSession!.id }))),
    ).toMatchObject({ appCode: "UNAUTHORIZED" });
    for (const sessionId of ["nope", "00000000-0000-4000-8000-000000000000"])
      expect(await rejects(ann.client.call((c) => c.profile.revokeSession({ sessionId })))).toMatchObject({
        appCode: "NOT_FOUND",
      });
    expect(await signedIn(a.client)).toBe(true);
  });

  it("API keys have no sessions, password or profile of their own", async () => {
    const ws = await workspace(services, "sec-key", "pro");
    const { key } = await ws.client.call((c) => c.apiKeys.create({ name: "bot", scope: "write" }));
    const bot = new TestClient(services, ws.client.host, "web", { authorization: `Bearer ${key}` });
    for (const call of [
      () => bot.call((c) => c.profile.sessions()),
      () => bot.call((c) => c.profile.revokeOtherSessions()),
      () => bot.call((c) => c.profile.update({ name: "Bot" })),
    ])
      expect(await rejects(call)).toMatchObject({ appCode: "FORBIDDEN" });
    // A key may look at people's cards, as members do.
    expect((await bot.call((c) => c.profile.card({ userId: ws.ownerId }))).name).toBe("Owner");
  });
});

describe("change password", () => {
  it("refuses a wrong current password as a field error, and changes nothing", async () => {
    const ws = await workspace(services, "sec-pw-wrong");
    const ann = await person(services, ws, "member");
    const laptop = await browser(ws.client.host, ann.user.email);
    const err = await rejects(
      ann.client.call((c) =>
        c.profile.changePassword({ currentPassword: "not-the-password", newPassword: "a-new-password-9" }),
      ),
    );
    expect(err).toMatchObject({
      appCode: "VALIDATION_FAILED",
      details: { reason: "wrong_password", fields: [{ path: "currentPassword" }] },
    });
    expect(await signedIn(ann.client)).toBe(true);
    expect(await signedIn(laptop)).toBe(true);
    // It counted as a failed sign-in: the account's back-off runs (checked at the database's clock).
    const [row] = await services.db.admin<{ failed: number; blocked: boolean }[]>`
      select failed_sign_ins as failed, sign_in_blocked_until > now() - interval '1 hour' as blocked
      from ${services.db.admin(ws.tenant.schemaName)}.users where id = ${ann.user.id}`;
    expect(row).toEqual({ failed: 1, blocked: true });
  });

  it("is refused while the account's sign-in back-off runs, without checking the password", async () => {
    const ws = await workspace(services, "sec-pw-backoff");
    const ann = await person(services, ws, "member");
    await services.db.admin`update ${services.db.admin(ws.tenant.schemaName)}.users
      set sign_in_blocked_until = now() + interval '1 minute' where id = ${ann.user.id}`;
    const err = await rejects(
      ann.client.call((c) =>
        c.profile.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-9" }),
      ),
    );
    expect(err).toMatchObject({ appCode: "RATE_LIMITED" });
    expect((err.details as { retryAfter: number }).retryAfter).toBeGreaterThan(0);
  });

  it("with the right one: the new password works, the other sessions end, the current one stays", async () => {
    const ws = await workspace(services, "sec-pw-ok");
    const ann = await person(services, ws, "member");
    const laptop = await browser(ws.client.host, ann.user.email);
    const res = await ann.client.call((c) =>
      c.profile.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-9" }),
    );
    expect(res).toEqual({ endedSessions: 1 });
    expect(await signedIn(laptop)).toBe(false);
    expect(await signedIn(ann.client)).toBe(true);
    expect(await ann.client.call((c) => c.profile.sessions())).toHaveLength(1);

    // The new password signs in (first: a failure would start the account's back-off) …
    await new TestClient(services, ws.client.host).call((c) =>
      c.auth.signIn({ email: ann.user.email, password: "a-new-password-9" }),
    );
    // … and the old one no longer does.
    const fresh = new TestClient(services, ws.client.host);
    expect(
      await rejects(fresh.call((c) => c.auth.signIn({ email: ann.user.email, password: PASSWORD }))),
    ).toMatchObject({ appCode: "UNAUTHORIZED" });
    const audit = await services.db.admin<{ action: string }[]>`
      select action from public.tenant_audit_logs
      where tenant_id = ${ws.tenant.id} and resource_id = ${ann.user.id} and action like 'user.password%'`;
    expect(audit).toEqual([{ action: "user.password_changed" }]);
  });

  it("spends the client address's sign-in budget: past it, attempts and sign-ins are refused", async () => {
    // Enterprise: the person's share of the request quota is far above the sign-in budget (30).
    const ws = await workspace(services, "sec-pw-ip", "enterprise");
    const wrong = { currentPassword: "not-the-password", newPassword: "a-new-password-9" };
    const outcomes: string[] = [];
    // The owner's sign-in (same browser, same address) spent one of the 30.
    for (let i = 0; i < 30; i++) {
      const err = await rejects(ws.client.call((c) => c.profile.changePassword(wrong)));
      outcomes.push(`${err.appCode}:${/Too many requests/.test(err.message) ? "address" : "account"}`);
    }
    // 29 are let through to the account (wrong, or refused by its back-off), the 30th is not.
    expect(outcomes[0]).toBe("VALIDATION_FAILED:account");
    expect(outcomes.slice(1, 29).filter((o) => o.endsWith(":address"))).toEqual([]);
    expect(outcomes[29]).toBe("RATE_LIMITED:address");
    // Sign-in from that address shares the budget.
    const sameAddress = new TestClient(services, ws.client.host, "web", {
      "x-nchat-client-address": ws.client.ip,
    });
    expect(
      await rejects(
        sameAddress.call((c) =>
          c.auth.signIn({ email: `owner@${ws.slug}.test`, password: "owner-password-1" }),
        ),
      ),
    ).toMatchObject({ appCode: "RATE_LIMITED", message: expect.stringMatching(/Too many requests/) });
  });

  it("checks the new password's rules before anything else", async () => {
    const ws = await workspace(services, "sec-pw-rules");
    for (const input of [
      { currentPassword: "owner-password-1", newPassword: "short" },
      { currentPassword: "owner-password-1", newPassword: "owner-password-1" },
    ]) {
      const err = await rejects(ws.client.call((c) => c.profile.changePassword(input)));
      expect(err).toMatchObject({ appCode: "VALIDATION_FAILED" });
      expect((err.details as { fields: { path: string }[] }).fields[0]!.path).toBe("newPassword");
    }
  });
});
