/**
 * "Forgot password" in a real browser, with real mail: the apps send through SMTP to a server this
 * spec starts (smtp-server, read with mailparser) on the port the harness gave them. The owner asks
 * for a reset on the sign-in page, opens the link from the mail, sets a new password and signs in
 * with it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { linkIn } from "../../../packages/api/src/mail/test-kit";
import {
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  smtpServer,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { name: "Rita Owner", email: "rita@reset.test", password: "owner-password-123" };
const NEW_PASSWORD = "a-brand-new-password-456";

describe("password reset by mail", () => {
  const smtp = smtpServer();
  const spec = browserSpec();
  const slug = uniqueSlug("reset");

  beforeAll(async () => {
    await createWorkspace(spec.services, { name: "Reset Co", slug, owner: OWNER, plan: "enterprise" });
  });

  it("Forgot password → the mail's link → a new password → signed in with it", async () => {
    const ctx = await newUserContext(spec.browser);
    const page = await ctx.newPage();
    await page.goto(tenantUrl(slug, "/login"));
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL((u) => u.pathname === "/forgot-password", LONG);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByText("Check your email").waitFor(LONG);

    const mail = await smtp.waitFor(OWNER.email, 1, 60_000);
    expect(mail.subject).toBe("Reset your nchat password for Reset Co");
    expect(mail.text).toContain("30 minutes");
    const link = linkIn(mail, tenantUrl(slug, "/reset-password?token="));

    await page.goto(link);
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.getByText("Your password is changed").waitFor(LONG);
    await screenshot(page, "password-reset-done");
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/login", LONG);

    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("channel-title").waitFor(LONG);

    // The link worked once: opening it again is refused.
    const again = await ctx.newPage();
    await again.goto(link);
    await again.getByLabel("New password", { exact: true }).fill("yet-another-password-789");
    await again.getByLabel("New password again").fill("yet-another-password-789");
    await again.getByRole("button", { name: "Set the new password" }).click();
    await again.getByText("This reset link is not valid").waitFor(LONG);
  });
});
