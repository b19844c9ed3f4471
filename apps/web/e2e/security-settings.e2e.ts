/**
 * The security settings do what they say, in a real browser: allowed email domains, saved in
 * Settings → Security, stop an invitation to another domain (the invite dialog says why under the
 * email field) and let one at the domain through.
 */
import { describe, expect, it } from "vitest";
import {
  createWorkspace,
  harnessServices,
  LONG,
  screenshot,
  signedInSpec,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

describe("security settings", () => {
  const slug = uniqueSlug("secset");
  const owner = { email: `owner@${slug}.test`, name: "Ines", password: "owner-password-security-1" };
  let tenantId = "";

  const signedIn = signedInSpec({
    slug,
    who: owner,
    prepare: async (services) => {
      const { tenant } = await createWorkspace(services, {
        name: "Security Co",
        slug,
        owner,
        plan: "enterprise",
      });
      tenantId = tenant.id;
    },
  });

  it("allowed email domains refuse an invitation to another domain, and let one at the domain through", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/settings"));
    const domains = page.getByLabel(/Allowed email domains/);
    await domains.waitFor(LONG);
    await domains.fill("acme.test");
    await page.getByRole("button", { name: "Save security settings" }).click();
    await page.locator("#security").getByRole("status").getByText("Saved").waitFor(LONG);

    await page.goto(tenantUrl(slug, "/members"));
    await page.getByTestId(`member-${owner.email}`).waitFor(LONG);
    await page.getByRole("button", { name: "Invite people" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite people" });
    const email = dialog.getByLabel("Email address", { exact: true });
    await email.fill("someone@elsewhere.test");
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await dialog
      .getByText("Only addresses at acme.test can join this workspace.", { exact: false })
      .waitFor(LONG);
    expect(await email.getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "security-domains-refused");
    // Nothing was created.
    const invitations = async () => {
      const services = await harnessServices();
      try {
        const tenant = await services.tenants.getTenantById(tenantId);
        const { invitations } = await services.members.list(tenant!);
        return invitations.map((i) => i.email);
      } finally {
        await services.close();
      }
    };
    expect(await invitations()).toEqual([]);

    await email.fill("ada@acme.test");
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    // The dialog is now "Invitation created", with the link.
    await page
      .getByRole("dialog", { name: "Invitation created" })
      .getByLabel("Invitation link", { exact: true })
      .waitFor(LONG);
    expect(await invitations()).toEqual(["ada@acme.test"]);
  });
});
