/**
 * Mail in a real browser, read from a real SMTP server: a new owner sees the "confirm your address"
 * banner, asks for the link again, confirms the address from the mail; then sends an invitation by
 * email from the invite dialog, the invitee's mail arrives with a working link, and Settings → Mail
 * deliveries lists both mails as sent.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { linkIn } from "../../../packages/api/src/mail/test-kit";
import {
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  signIn,
  smtpServer,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { name: "Vic Owner", email: "vic@mail.test", password: "owner-password-123" };
const INVITEE = "ivy@people.test";

describe("mail from the app", () => {
  const smtp = smtpServer();
  const spec = browserSpec();
  const slug = uniqueSlug("mail");

  beforeAll(async () => {
    await createWorkspace(spec.services, { name: "Mail Co", slug, owner: OWNER, plan: "enterprise" });
  });

  it("banner → Resend → confirm the address → invite by email → the delivery log", async () => {
    const ctx = await newUserContext(spec.browser);
    const page = await ctx.newPage();
    await signIn(page, slug, OWNER);
    const banner = page.getByTestId("email-banner");
    await banner.getByText(OWNER.email).waitFor(LONG);
    await banner.getByRole("button", { name: "Resend" }).click();
    await banner.getByText("Sent again").waitFor(LONG);

    const verification = await smtp.waitFor(OWNER.email, 1, 60_000);
    expect(verification.subject).toBe("Confirm your email address for Mail Co");
    await page.goto(linkIn(verification, tenantUrl(slug, "/verify-email?token=")));
    await page.getByRole("button", { name: "Confirm my address" }).click();
    await page.getByText("Address confirmed").waitFor(LONG);
    await page.getByRole("link", { name: "Open the workspace" }).click();
    await page.getByTestId("channel-title").waitFor(LONG);
    expect(await page.getByTestId("email-banner").count()).toBe(0);

    await page.goto(tenantUrl(slug, "/members"));
    await page.getByRole("button", { name: "Invite people" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email address", { exact: true }).fill(INVITEE);
    const sendByEmail = dialog.getByRole("checkbox", { name: /Send the invitation by email/ });
    await expect.poll(() => sendByEmail.isEnabled(), LONG).toBe(true);
    expect(await sendByEmail.isChecked()).toBe(true);
    await dialog.getByRole("button", { name: "Send invitation" }).click();
    await dialog.getByText("The invitation is on its way by email").waitFor(LONG);

    const invitation = await smtp.waitFor(INVITEE, 1, 60_000);
    expect(invitation.subject).toBe("You are invited to Mail Co on nchat");
    expect(invitation.text).toContain("Vic Owner invited you to join Mail Co as a member.");
    const invitee = await (await newUserContext(spec.browser)).newPage();
    await invitee.goto(linkIn(invitation, tenantUrl(slug, "/invite/")));
    await invitee.getByText(INVITEE).first().waitFor(LONG);

    await page.goto(tenantUrl(slug, "/settings/mail"));
    const table = page.getByRole("region", { name: "Deliveries" });
    await table.getByText(INVITEE).waitFor(LONG);
    await expect
      .poll(async () => table.getByText("sent", { exact: true }).count(), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
  });
});
