/**
 * Two-factor authentication in a real browser: the owner turns on "Require two-factor
 * authentication"; a member who signs in is sent to set it up before anything else, enrols with the
 * setup key shown (the code computed here as an authenticator app would), and reaches the chat; after
 * signing out, the sign-in asks for the code.
 */

import { Secret, TOTP } from "otpauth";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  signIn,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { name: "Tara Owner", email: "tara@tfa.test", password: "owner-password-123" };
const MEMBER = { name: "Finn Member", email: "finn@tfa.test", password: "member-password-123" };

/** The code an authenticator app shows for `secret`, `steps` time steps from now. */
const totpCode = (secret: string, steps = 0) =>
  new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + steps * 30_000,
  });

describe("two-factor authentication", () => {
  const spec = browserSpec();
  const slug = uniqueSlug("tfa");

  beforeAll(async () => {
    // Enterprise: room for the many requests of these flows (Free allows 30 a minute per person).
    const { tenant } = await createWorkspace(spec.services, {
      name: "Two Factor Co",
      slug,
      owner: OWNER,
      plan: "enterprise",
    });
    await addMember(spec.services, tenant, MEMBER);
  });

  it("lets anyone turn it on in their profile, asks for the code at sign-in, and turns off with a recovery code", async () => {
    const ctx = await newUserContext(spec.browser);
    const owner = await ctx.newPage();
    await signIn(owner, slug, OWNER);
    await owner.goto(tenantUrl(slug, "/profile"));
    await owner.getByRole("tab", { name: "Security" }).click();
    const section = owner.locator("section", {
      has: owner.getByRole("heading", { name: "Two-factor authentication" }),
    });
    await section.getByText("Off", { exact: true }).waitFor(LONG);
    await section.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await section.getByRole("button", { name: "Start set-up" }).click();
    const secret = (await section.getByLabel("Setup key", { exact: true }).inputValue()).replace(/\s/g, "");
    await section.getByLabel("Authentication code").fill(totpCode(secret));
    await section.getByRole("button", { name: "Verify and turn on" }).click();
    const codes = section.getByTestId("recovery-codes").getByRole("listitem");
    await codes.first().waitFor(LONG);
    const recovery = (await codes.first().textContent())!.trim();
    await section.getByRole("button", { name: "Done" }).click();
    await section.getByText("10 of 10 recovery codes left.").waitFor(LONG);

    // The next sign-in asks for the code.
    await owner.getByRole("button", { name: "Sign out" }).click();
    await owner.waitForURL((u) => u.pathname === "/login", LONG);
    await signIn(owner, slug, OWNER, { secondStep: true });
    await owner.getByLabel("Authentication code").fill(totpCode(secret, 1));
    await owner.getByRole("button", { name: "Verify" }).click();
    await owner.getByTestId("current-user").getByText(OWNER.name).waitFor(LONG);

    // Turned off with the password and a recovery code: the password alone signs in again.
    await owner.goto(tenantUrl(slug, "/profile"));
    await owner.getByRole("tab", { name: "Security" }).click();
    await section.getByLabel("Your password").fill(OWNER.password);
    await section.getByLabel("Code to turn off").fill(recovery);
    await section.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    await section.getByText("Off", { exact: true }).waitFor(LONG);
    await owner.getByRole("button", { name: "Sign out" }).click();
    await owner.waitForURL((u) => u.pathname === "/login", LONG);
    await signIn(owner, slug, OWNER);
    await ctx.close();
  });

  it("sends a member to enrolment when the workspace requires it, then asks for the code at sign-in", async () => {
    // The owner requires two-factor authentication in the security settings.
    const owner = await (await newUserContext(spec.browser)).newPage();
    await signIn(owner, slug, OWNER);
    await owner.getByTestId("current-user").getByText(OWNER.name).waitFor(LONG);
    await owner.goto(tenantUrl(slug, "/settings"));
    const requireBox = owner.getByRole("checkbox", { name: /Require two-factor authentication/ });
    await requireBox.check();
    // Before saving, the form says who has no second factor yet, the owner included.
    const rollout = owner.getByTestId("two-factor-rollout");
    await rollout.waitFor(LONG);
    expect(await rollout.textContent()).toMatch(/^1 member has no second factor yet.*You have none either/);
    await owner.getByRole("button", { name: "Save security settings" }).click();
    // "Saved" — or already the set-up page: the owner has no second factor either, and the next
    // request after the save may send them there before the confirmation has been seen.
    await owner
      .getByText("Saved")
      .first()
      .or(owner.getByRole("heading", { name: "Set up two-factor authentication" }))
      .waitFor(LONG);
    await expect
      .poll(async () => {
        const [s] = await spec.services.db.admin<{ on: boolean }[]>`
          select require_2fa as on from public.tenant_settings
          where tenant_id = (select id from public.tenants where slug = ${slug})`;
        return s?.on;
      }, LONG)
      .toBe(true);

    // The member signs in with the password and is sent to set it up first.
    const ctx = await newUserContext(spec.browser);
    const member = await ctx.newPage();
    await signIn(member, slug, MEMBER, { secondStep: true });
    await member.waitForURL((u) => u.pathname === "/two-factor", LONG);
    await member.getByRole("heading", { name: "Set up two-factor authentication" }).waitFor(LONG);
    // Any other page leads back here.
    await member.goto(tenantUrl(slug, "/members"));
    await member.waitForURL((u) => u.pathname === "/two-factor", LONG);
    await member.getByRole("button", { name: "Start set-up" }).click();
    await member.getByRole("img", { name: "QR code for your authenticator app" }).waitFor(LONG);
    const secret = (await member.getByLabel("Setup key", { exact: true }).inputValue()).replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]+$/);
    await screenshot(member, "60-two-factor-setup");
    await member.getByLabel("Authentication code").fill(totpCode(secret));
    await member.getByRole("button", { name: "Verify and turn on" }).click();
    const codes = member.getByTestId("recovery-codes");
    await codes.waitFor(LONG);
    expect(await codes.getByRole("listitem").count()).toBe(10);
    await screenshot(member, "61-two-factor-recovery-codes");
    await member.getByRole("button", { name: "Continue" }).click();
    await member.getByTestId("current-user").getByText(MEMBER.name).waitFor(LONG);
    expect(new URL(member.url()).pathname).toBe("/members");
    // The page has loaded its list (it is live, not just server-rendered HTML whose buttons do
    // nothing yet) before the member signs out.
    await member.getByTestId(`member-${MEMBER.email}`).waitFor(LONG);

    // Signed out, the password alone no longer signs in: the code is asked for.
    await member.getByRole("button", { name: "Sign out" }).click();
    await member.waitForURL((u) => u.pathname === "/login", LONG);
    await signIn(member, slug, MEMBER, { secondStep: true });
    const codeField = member.getByLabel("Authentication code");
    await codeField.waitFor(LONG);
    expect((await ctx.cookies()).some((c) => c.name === "nchat_session")).toBe(false);
    await screenshot(member, "62-two-factor-sign-in");
    await codeField.fill("000000" === totpCode(secret, 1) ? "111111" : "000000");
    await member.getByRole("button", { name: "Verify" }).click();
    await member.getByText("That code is not right").waitFor(LONG);
    // The account's back-off after a wrong code (1 s), then the next step's code (the enrolment used this one).
    await member.waitForTimeout(1_500);
    await codeField.fill(totpCode(secret, 1));
    await member.getByRole("button", { name: "Verify" }).click();
    await member.getByTestId("current-user").getByText(MEMBER.name).waitFor(LONG);
    expect(new URL(member.url()).pathname).toBe("/");

    // The owner, who has none either, is sent to set it up too; then resets the member's (a lost
    // phone): the member is signed out and their row no longer says 2FA.
    await owner.goto(tenantUrl(slug, "/members"));
    await owner.waitForURL((u) => u.pathname === "/two-factor", LONG);
    await owner.getByRole("button", { name: "Start set-up" }).click();
    const ownerSecret = (await owner.getByLabel("Setup key", { exact: true }).inputValue()).replace(
      /\s/g,
      "",
    );
    await owner.getByLabel("Authentication code").fill(totpCode(ownerSecret));
    await owner.getByRole("button", { name: "Verify and turn on" }).click();
    await owner.getByRole("button", { name: "Continue" }).click();
    const row = owner.getByTestId(`member-${MEMBER.email}`);
    await row.getByText("2FA", { exact: true }).waitFor(LONG);
    await row.getByRole("button", { name: `Reset ${MEMBER.name}'s two-factor authentication` }).click();
    await owner.getByRole("dialog").getByRole("button", { name: "Reset two-factor authentication" }).click();
    await row.getByText("2FA", { exact: true }).waitFor({ state: "detached", timeout: 15_000 });
    await member.reload();
    await member.waitForURL((u) => u.pathname === "/login", LONG);
  });
});
