import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { linkIn, mailTestServices } from "../mail/test-kit";
import { TEST_BASE_DOMAIN, TestClient, tenantWithOwner } from "../testing";

const kit = mailTestServices("acct", { MAIL_RETRY_DELAY_SECONDS: "1" });
const { smtp } = kit;

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { message: string; cause?: { code?: string } };
    return { appCode: err.cause?.code, message: err.message };
  }
  throw new Error("expected a rejection");
}

const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;

/** Asks for a reset on a host and returns the link of the mail that arrives (the n-th to that address). */
async function resetLink(client: TestClient, email: string, n = 1) {
  expect(await client.call((c) => c.account.requestPasswordReset({ email }))).toEqual({ ok: true });
  const mail = await smtp.waitFor(email, n);
  expect(mail.text).toBeTruthy();
  return linkIn(mail, `http://${client.host}/reset-password?token=`);
}

describe("password reset", () => {
  it("mails a single-use link that sets a new password and ends every session of the account", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("rst"));
    const email = `owner@${o.tenant.slug}.test`;
    const laptop = new TestClient(kit.services, o.client.host);
    await laptop.call((c) => c.auth.signIn({ email, password: "owner-password-1" }));
    expect(await laptop.call((c) => c.auth.me())).not.toBeNull();

    const link = await resetLink(new TestClient(kit.services, o.client.host), email);
    const mail = smtp.to(email)[0]!;
    expect(mail.subject).toContain("Reset your nchat password");
    expect(mail.text).toContain("30 minutes");
    // Only the SHA-256 of the token is stored.
    const a = kit.services.db.admin;
    const stored = await a`select token_hash from ${a(o.tenant.schemaName)}.account_tokens`;
    expect(stored.map((r) => r.token_hash)).toHaveLength(1);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0]!.token_hash).not.toContain(tokenOf(link));

    const visitor = new TestClient(kit.services, o.client.host);
    expect(
      await visitor.call((c) =>
        c.account.resetPassword({ token: tokenOf(link), password: "brand-new-password-1" }),
      ),
    ).toEqual({ ok: true });
    // Every session ended: both browsers that were signed in are signed out.
    expect(await o.client.call((c) => c.auth.me())).toBeNull();
    expect(await laptop.call((c) => c.auth.me())).toBeNull();
    // The new password works, the old one does not (this browser signed in now: no back-off for it).
    const signedIn = await visitor.call((c) => c.auth.signIn({ email, password: "brand-new-password-1" }));
    expect(signedIn.user?.email).toBe(email);
    expect(
      (await failure(visitor.call((c) => c.auth.signIn({ email, password: "owner-password-1" })))).appCode,
    ).toBe("UNAUTHORIZED");

    // Used once: the same link again is refused.
    const again = await failure(
      visitor.call((c) => c.account.resetPassword({ token: tokenOf(link), password: "another-password-1" })),
    );
    expect(again).toMatchObject({ appCode: "NOT_FOUND", message: expect.stringContaining("reset link") });
  });

  it("refuses an expired link, and an older link once a newer one was sent", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("exp"));
    const email = `owner@${o.tenant.slug}.test`;
    const browser = new TestClient(kit.services, o.client.host);
    const first = await resetLink(browser, email, 1);
    const second = await resetLink(browser, email, 2);
    const replaced = await failure(
      browser.call((c) =>
        c.account.resetPassword({ token: tokenOf(first), password: "brand-new-password-1" }),
      ),
    );
    expect(replaced.appCode).toBe("NOT_FOUND");

    const a = kit.services.db.admin;
    await a`update ${a(o.tenant.schemaName)}.account_tokens set expires_at = now() - interval '1 second' where used_at is null`;
    const expired = await failure(
      browser.call((c) =>
        c.account.resetPassword({ token: tokenOf(second), password: "brand-new-password-1" }),
      ),
    );
    expect(expired.appCode).toBe("NOT_FOUND");
    // The password did not change.
    expect(await browser.call((c) => c.auth.signIn({ email, password: "owner-password-1" }))).toBeTruthy();
  });

  it("works only on the workspace host that issued it", async () => {
    const a = await tenantWithOwner(kit.services, uniqueSlug("hosta"));
    const b = await tenantWithOwner(kit.services, uniqueSlug("hostb"));
    const email = `owner@${a.tenant.slug}.test`;
    const link = await resetLink(new TestClient(kit.services, a.client.host), email);
    const onB = new TestClient(kit.services, b.client.host);
    const refused = await failure(
      onB.call((c) => c.account.resetPassword({ token: tokenOf(link), password: "brand-new-password-1" })),
    );
    expect(refused.appCode).toBe("NOT_FOUND");
    // B's owner is untouched, and the token still works where it belongs.
    expect(await b.client.call((c) => c.auth.me())).not.toBeNull();
    const onA = new TestClient(kit.services, a.client.host);
    await onA.call((c) =>
      c.account.resetPassword({ token: tokenOf(link), password: "brand-new-password-1" }),
    );
  });

  it("answers the same for an unknown address, queues the same job, and mails nobody", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("unk"));
    const browser = new TestClient(kit.services, o.client.host);
    const jobs = async () =>
      Number(
        (
          await kit.services.db.admin`select count(*)::int as n from pgboss.job where name = 'password-reset'
            and data->'tenant'->>'id' = ${o.tenant.id}`
        )[0]!.n,
      );
    const known = await browser.call((c) =>
      c.account.requestPasswordReset({ email: `owner@${o.tenant.slug}.test` }),
    );
    const unknown = await browser.call((c) =>
      c.account.requestPasswordReset({ email: "nobody@nowhere.test" }),
    );
    expect(unknown).toEqual(known);
    expect(await jobs()).toBe(2);
    await smtp.waitFor(`owner@${o.tenant.slug}.test`);
    // The unknown address's job is done (nothing to send), and no mail or log row was made for it.
    const deadline = Date.now() + 20_000;
    while (
      (
        await kit.services.db
          .admin`select 1 from pgboss.job where name = 'password-reset' and state <> 'completed'
        and data->'tenant'->>'id' = ${o.tenant.id}`
      ).length > 0 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(smtp.to("nobody@nowhere.test")).toEqual([]);
    const log = await kit.services.db
      .admin`select recipient from public.mail_deliveries where tenant_id = ${o.tenant.id}`;
    expect(log.map((r) => r.recipient)).toEqual([`owner@${o.tenant.slug}.test`]);
  });

  it("is rate-limited per client address and per account (known or not)", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("rl"));
    const one = new TestClient(kit.services, o.client.host);
    for (let i = 0; i < 10; i++)
      await one.call((c) => c.account.requestPasswordReset({ email: `x${i}@nowhere.test` }));
    expect(
      (await failure(one.call((c) => c.account.requestPasswordReset({ email: "y@nowhere.test" })))).appCode,
    ).toBe("RATE_LIMITED");
    for (const email of [`owner@${o.tenant.slug}.test`, "ghost@nowhere.test"]) {
      for (let i = 0; i < 3; i++)
        await new TestClient(kit.services, o.client.host).call((c) =>
          c.account.requestPasswordReset({ email }),
        );
      const fourth = await failure(
        new TestClient(kit.services, o.client.host).call((c) => c.account.requestPasswordReset({ email })),
      );
      expect(fourth.appCode).toBe("RATE_LIMITED");
    }
  });
});

describe("email verification", () => {
  it("a new owner gets a verification mail at sign-up; the link verifies once; the banner's status follows", async () => {
    const slug = uniqueSlug("ver");
    const email = `owner@${slug}.test`;
    const base = new TestClient(kit.services, `${TEST_BASE_DOMAIN}:3000`);
    const res = await base.call((c) =>
      c.auth.signUp({
        name: "Verify Co",
        slug,
        ownerEmail: email,
        ownerName: "Vera",
        ownerPassword: "owner-password-1",
      }),
    );
    expect(res.tenant.slug).toBe(slug);
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe("Confirm your email address for Verify Co");
    const link = linkIn(mail, `http://${slug}.${TEST_BASE_DOMAIN}:3000/verify-email?token=`);

    const owner = new TestClient(kit.services, `${slug}.${TEST_BASE_DOMAIN}`);
    await owner.call((c) => c.auth.signIn({ email, password: "owner-password-1" }));
    expect(await owner.call((c) => c.account.emailStatus())).toEqual({
      email,
      verified: false,
      pendingEmail: null,
    });

    // Not valid on another workspace's host.
    const other = await tenantWithOwner(kit.services, uniqueSlug("vother"));
    expect(
      (await failure(other.client.call((c) => c.account.verifyEmail({ token: tokenOf(link) })))).appCode,
    ).toBe("NOT_FOUND");

    expect(await owner.call((c) => c.account.verifyEmail({ token: tokenOf(link) }))).toEqual({ email });
    expect(await owner.call((c) => c.account.emailStatus())).toMatchObject({ verified: true });
    expect((await failure(owner.call((c) => c.account.verifyEmail({ token: tokenOf(link) })))).appCode).toBe(
      "NOT_FOUND",
    );
    // Nothing left to verify: resending sends nothing.
    expect(await owner.call((c) => c.account.resendVerification())).toEqual({ sent: false });
  });

  it("resend replaces the earlier link; an unverified inviter may copy links but not have them mailed", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("rsd"));
    const email = `owner@${o.tenant.slug}.test`;
    expect(await o.client.call((c) => c.account.resendVerification())).toEqual({ sent: true });
    const first = linkIn(await smtp.waitFor(email, 1), "http://");
    expect(await o.client.call((c) => c.account.resendVerification())).toEqual({ sent: true });
    const second = linkIn(await smtp.waitFor(email, 2), "http://");
    expect(
      (await failure(o.client.call((c) => c.account.verifyEmail({ token: tokenOf(first) })))).appCode,
    ).toBe("NOT_FOUND");
    expect(
      (
        await failure(
          o.client.call((c) => c.members.inviteByEmail({ email: "x@people.test", role: "member" })),
        )
      ).appCode,
    ).toBe("FORBIDDEN");
    await o.client.call((c) => c.account.verifyEmail({ token: tokenOf(second) }));
    const invited = await o.client.call((c) =>
      c.members.inviteByEmail({ email: "x@people.test", role: "member" }),
    );
    expect(invited.emailed).toBe(true);
  });

  it("a changed address becomes the account's only when the link mailed to it is followed", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("chg"));
    const newEmail = `new-${o.tenant.slug}@people.test`;
    const wrong = await failure(
      o.client.call((c) => c.account.changeEmail({ email: newEmail, password: "not-my-password" })),
    );
    expect(wrong.appCode).toBe("VALIDATION_FAILED");
    await o.client.call((c) => c.account.changeEmail({ email: newEmail, password: "owner-password-1" }));
    const mail = await smtp.waitFor(newEmail);
    expect(mail.subject).toContain("Confirm your new email address");
    expect(await o.client.call((c) => c.account.emailStatus())).toMatchObject({
      email: `owner@${o.tenant.slug}.test`,
      pendingEmail: newEmail,
    });
    await new TestClient(kit.services, o.client.host).call((c) =>
      c.account.verifyEmail({ token: tokenOf(linkIn(mail, "http://")) }),
    );
    expect(await o.client.call((c) => c.account.emailStatus())).toEqual({
      email: newEmail,
      verified: true,
      pendingEmail: null,
    });
    const again = new TestClient(kit.services, o.client.host);
    expect(
      (await again.call((c) => c.auth.signIn({ email: newEmail, password: "owner-password-1" }))).user?.email,
    ).toBe(newEmail);
  });
});
