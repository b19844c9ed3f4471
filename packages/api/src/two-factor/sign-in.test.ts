import { withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE, TWO_FACTOR_COOKIE } from "../auth/cookies";
import { TestClient, tenantWithOwner } from "../testing";
import { codeOf, enrol, PASSWORD, passwordStep, rejects, services, useKit } from "./test-kit";

/** Signing in with a second factor: the challenge, codes, back-off, replays, recovery codes. */
useKit();

describe("sign-in with a second factor", () => {
  it("without 2FA the password signs in at once", async () => {
    const slug = uniqueSlug("nofa");
    const { client } = await tenantWithOwner(services, slug);
    const { browser, res } = await passwordStep(client.host, `owner@${slug}.test`);
    expect(res).toMatchObject({ needsCode: false, user: { role: "owner" } });
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(browser.cookies.has(TWO_FACTOR_COOKIE)).toBe(false);
  });

  it("the password step gives a challenge, not a session; the code completes it", async () => {
    const slug = uniqueSlug("tfin");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);

    const { browser, res } = await passwordStep(client.host, `owner@${slug}.test`);
    expect(res).toEqual({ user: null, needsCode: true });
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(browser.cookies.has(TWO_FACTOR_COOKIE)).toBe(true);
    expect(await browser.call((c) => c.auth.me())).toBeNull();
    expect(await rejects(browser.call((c) => c.tenant.get()))).toMatchObject({ appCode: "UNAUTHORIZED" });
    // The challenge is no session token.
    const asSession = new TestClient(services, client.host);
    asSession.cookies.set(SESSION_COOKIE, browser.cookies.get(TWO_FACTOR_COOKIE)!);
    expect(await asSession.call((c) => c.auth.me())).toBeNull();

    const done = await browser.call((c) => c.auth.signInCode({ code: codeOf(secret) }));
    expect(done.user).toMatchObject({ role: "owner" });
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(browser.cookies.has(TWO_FACTOR_COOKIE)).toBe(false);
    expect(await browser.call((c) => c.auth.me())).toMatchObject({
      user: { role: "owner" },
      twoFactor: { enabled: true, mustEnrol: false },
    });
    // The script path (password only) refuses an account with a second factor.
    const tenant = (await services.resolver.bySlug(slug))!;
    await expect(
      services.auth.signIn(
        tenant,
        { email: `owner@${slug}.test`, password: PASSWORD },
        { ip: null, userAgent: null },
      ),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a code step without a password step, or after the challenge expired, is refused", async () => {
    const slug = uniqueSlug("tfexp");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    const stranger = new TestClient(services, client.host);
    expect(await rejects(stranger.call((c) => c.auth.signInCode({ code: codeOf(secret) })))).toMatchObject({
      appCode: "UNAUTHORIZED",
      details: { signInExpired: true },
    });
    const { browser } = await passwordStep(client.host, `owner@${slug}.test`);
    vi.setSystemTime(Date.now() + 6 * 60_000);
    expect(await rejects(browser.call((c) => c.auth.signInCode({ code: codeOf(secret) })))).toMatchObject({
      appCode: "UNAUTHORIZED",
      details: { signInExpired: true },
    });
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("wrong codes start the account's back-off: attempts during it are refused, even the right code", async () => {
    const slug = uniqueSlug("tfbad");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    const { browser } = await passwordStep(client.host, `owner@${slug}.test`);
    const { browser: other } = await passwordStep(client.host, `owner@${slug}.test`);
    const wrong = codeOf(secret) === "123456" ? "654321" : "123456";
    expect(await rejects(browser.call((c) => c.auth.signInCode({ code: wrong })))).toMatchObject({
      appCode: "UNAUTHORIZED",
    });
    const blocked = await rejects(browser.call((c) => c.auth.signInCode({ code: codeOf(secret) })));
    expect(blocked).toMatchObject({ code: "TOO_MANY_REQUESTS", appCode: "RATE_LIMITED" });
    expect(blocked.details?.retryAfter).toBeGreaterThanOrEqual(1);
    // Another browser with the password does not get around it: the back-off is the account's.
    expect(await rejects(other.call((c) => c.auth.signInCode({ code: codeOf(secret) })))).toMatchObject({
      appCode: "RATE_LIMITED",
    });
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    // Once it ran out, the right code works (PostgreSQL's clock decides the back-off).
    await new Promise((r) => setTimeout(r, 1_100));
    await browser.call((c) => c.auth.signInCode({ code: codeOf(secret) }));
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it("a challenge allows a few codes only", async () => {
    const slug = uniqueSlug("tfmax");
    const { client, tenant, ownerId } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    const { browser } = await passwordStep(client.host, `owner@${slug}.test`);
    for (let i = 0; i < 5; i++) {
      // Clear the back-off so only the challenge's own bound is in play.
      await withTenant(services.db, tenant, ({ db, t }) =>
        db.update(t.users).set({ twoFactorBlockedUntil: null }).where(eq(t.users.id, ownerId)),
      );
      expect(await rejects(browser.call((c) => c.auth.signInCode({ code: "000000" })))).toMatchObject({
        appCode: "UNAUTHORIZED",
      });
    }
    await withTenant(services.db, tenant, ({ db, t }) =>
      db.update(t.users).set({ twoFactorBlockedUntil: null }).where(eq(t.users.id, ownerId)),
    );
    expect(await rejects(browser.call((c) => c.auth.signInCode({ code: codeOf(secret) })))).toMatchObject({
      appCode: "UNAUTHORIZED",
      details: { signInExpired: true },
    });
  });

  it("a code is accepted once: replaying it (or an older one) in its window is refused", async () => {
    const slug = uniqueSlug("tfrep");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    const code = codeOf(secret);
    const first = await passwordStep(client.host, `owner@${slug}.test`);
    await first.browser.call((c) => c.auth.signInCode({ code }));
    expect(first.browser.cookies.has(SESSION_COOKIE)).toBe(true);

    const second = await passwordStep(client.host, `owner@${slug}.test`);
    expect(await rejects(second.browser.call((c) => c.auth.signInCode({ code })))).toMatchObject({
      appCode: "UNAUTHORIZED",
    });
    expect(second.browser.cookies.has(SESSION_COOKIE)).toBe(false);
    // The previous step's code is still within ±1 step, but older than the one used: refused too.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(
      await rejects(second.browser.call((c) => c.auth.signInCode({ code: codeOf(secret, -1) }))),
    ).toMatchObject({ appCode: "UNAUTHORIZED" });
  });

  it("the same code sent twice at once signs in once", async () => {
    const slug = uniqueSlug("tfrace");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    const a = await passwordStep(client.host, `owner@${slug}.test`);
    const b = await passwordStep(client.host, `owner@${slug}.test`);
    const code = codeOf(secret);
    const results = await Promise.allSettled([
      a.browser.call((c) => c.auth.signInCode({ code })),
      b.browser.call((c) => c.auth.signInCode({ code })),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("a recovery code signs in once", async () => {
    const slug = uniqueSlug("tfrec");
    const { client } = await tenantWithOwner(services, slug);
    const { recoveryCodes } = await enrol(client);
    const recovery = recoveryCodes[3]!;
    const first = await passwordStep(client.host, `owner@${slug}.test`);
    await first.browser.call((c) => c.auth.signInCode({ code: ` ${recovery.toUpperCase()} ` }));
    expect(first.browser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(await first.browser.call((c) => c.twoFactor.status())).toMatchObject({ recoveryCodesLeft: 9 });

    const second = await passwordStep(client.host, `owner@${slug}.test`);
    expect(await rejects(second.browser.call((c) => c.auth.signInCode({ code: recovery })))).toMatchObject({
      appCode: "UNAUTHORIZED",
    });
    expect(second.browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("new recovery codes replace the old ones", async () => {
    const slug = uniqueSlug("tfreg");
    const { client } = await tenantWithOwner(services, slug);
    const { secret, recoveryCodes: old } = await enrol(client);
    const { recoveryCodes } = await client.call((c) =>
      c.twoFactor.regenerateRecoveryCodes({ code: codeOf(secret) }),
    );
    expect(recoveryCodes).toHaveLength(10);
    const { browser } = await passwordStep(client.host, `owner@${slug}.test`);
    expect(await rejects(browser.call((c) => c.auth.signInCode({ code: old[0]! })))).toMatchObject({
      appCode: "UNAUTHORIZED",
    });
    await new Promise((r) => setTimeout(r, 1_100));
    await browser.call((c) => c.auth.signInCode({ code: recoveryCodes[0]! }));
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });
});
