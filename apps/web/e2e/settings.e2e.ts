/**
 * Settings controls do what they say, in a real browser: the security form saves its own default
 * session length (and other whole hours) without the browser refusing the number, emptied
 * branding fields stay empty, an http:// logo is refused as the hint says, the channel member
 * count reads "1 member", both apps serve a favicon, the Members page renders without React
 * errors and offers the guest role only while guests are allowed, dialogs start at their first
 * field, and the cards of several files in one message line up.
 */
import { SYSTEM } from "@nchat/api";
import type { ConsoleMessage } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  createWorkspace,
  e2e,
  harnessServices,
  LONG,
  rawRequest,
  screenshot,
  signedInSpec,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

describe("settings controls", () => {
  const slug = uniqueSlug("conf");
  const owner = { email: `owner@${slug}.test`, name: "Sam", password: "owner-password-settings-1" };
  let tenantId = "";

  async function stored() {
    const services = await harnessServices();
    try {
      const [s] = await services.db.admin<{ minutes: number }[]>`
        select session_timeout_minutes as minutes from public.tenant_settings where tenant_id = ${tenantId}`;
      const t = await services.tenants.getTenantById(tenantId);
      return { minutes: s?.minutes, branding: t?.branding };
    } finally {
      await services.close();
    }
  }

  const signedIn = signedInSpec({
    slug,
    who: owner,
    prepare: async (services) => {
      // Branding is a Pro feature; Enterprise's request rate (300/min) leaves room for the many saves here.
      const { tenant } = await createWorkspace(services, {
        name: "Settings Co",
        slug,
        owner,
        plan: "enterprise",
      });
      tenantId = tenant.id;
    },
  });

  it("reads “1 member” in a channel with one person", async () => {
    const { page } = signedIn;
    await page.getByTestId("channel-title").getByText("general").waitFor(LONG);
    await page.getByRole("button", { name: "Members of general" }).click();
    await page.getByRole("heading", { name: "1 member", exact: true }).waitFor(LONG);
  });

  it("saves the default session length and other whole hours", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/settings"));
    const hours = page.getByLabel("Session length (hours)");
    await hours.waitFor(LONG);
    expect(await hours.inputValue()).toBe("336");
    const save = page.getByRole("button", { name: "Save security settings" });
    const security = page.locator("#security");
    for (const value of ["336", "24", "1", "720"]) {
      await hours.fill(value);
      // The browser's own validation accepts it (no "nearest valid values" step mismatch) …
      expect(await hours.evaluate((el) => (el as HTMLInputElement).checkValidity())).toBe(true);
      await save.click();
      // … and the server stores it.
      await security.getByRole("status").getByText("Saved").waitFor(LONG);
      await expect.poll(async () => (await stored()).minutes, LONG).toBe(Number(value) * 60);
    }
    await screenshot(page, "settings-session-length");
  });

  it("clears the app name and logo when emptied, and takes https:// logos only", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/settings"));
    const appName = page.getByLabel("App name");
    const logo = page.getByLabel("Logo URL");
    const save = page.getByRole("button", { name: "Save branding" });
    const branding = page.locator("#branding");
    await appName.waitFor(LONG);

    await appName.fill("Rocket Chat");
    await logo.fill("https://example.com/logo.png");
    await save.click();
    await branding.getByRole("status").getByText("Saved").waitFor(LONG);
    await expect
      .poll(async () => (await stored()).branding, LONG)
      .toMatchObject({ appName: "Rocket Chat", logoUrl: "https://example.com/logo.png" });
    // The sidebar shows them.
    const brand = page.locator(".sidebar-header");
    await brand.locator(".tenant-name", { hasText: "Rocket Chat" }).waitFor(LONG);
    await brand.locator("img.tenant-logo").waitFor(LONG);

    await appName.fill("");
    await logo.fill("");
    await save.click();
    await branding.getByRole("status").getByText("Saved").waitFor(LONG);
    // Cleared fields are gone (the colours were not touched).
    await expect
      .poll(async () => {
        const { appName, logoUrl } = (await stored()).branding as Record<string, unknown>;
        return { appName, logoUrl };
      }, LONG)
      .toEqual({ appName: undefined, logoUrl: undefined });
    await page.reload();
    await appName.waitFor(LONG);
    expect(await appName.inputValue()).toBe("");
    expect(await logo.inputValue()).toBe("");
    // … and the defaults apply again: the workspace's own name, its initial instead of a logo.
    await brand.locator(".tenant-name", { hasText: "Settings Co" }).waitFor(LONG);
    expect(await brand.locator("img.tenant-logo").count()).toBe(0);

    await logo.fill("http://example.com/logo.png");
    await save.click();
    await branding.getByText("Use an https:// image address.").waitFor(LONG);
    // Refused: nothing stored (no logo; the colours as before).
    expect((await stored()).branding).not.toHaveProperty("logoUrl");
    await screenshot(page, "settings-branding-https-only");
  });

  it("Members: no React errors; guests offered only while allowed; a dialog starts at its first field", async () => {
    const { page } = signedIn;
    const problems: string[] = [];
    const onError = (e: Error) => problems.push(`pageerror: ${e.message}`);
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
    };
    page.on("pageerror", onError);
    page.on("console", onConsole);
    try {
      const invite = async () => {
        await page.getByRole("button", { name: "Invite people" }).click();
        const dialog = page.getByRole("dialog", { name: "Invite people" });
        await dialog.getByLabel("Email address", { exact: true }).waitFor(LONG);
        // Focus starts in the first field, not on the header's Close button.
        await expect.poll(() => page.evaluate(() => document.activeElement?.id), LONG).toBe("invite-email");
        const roles = await dialog
          .getByRole("radio")
          .evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value));
        const hint = await dialog.getByTestId("guests-off-hint").count();
        await dialog.getByRole("button", { name: "Cancel" }).click();
        await dialog.waitFor({ state: "hidden" });
        return { roles, hint };
      };
      await page.goto(tenantUrl(slug, "/members"));
      await page.getByRole("heading", { name: "Members", exact: true }).waitFor(LONG);
      await page.getByTestId(`member-owner@${slug}.test`).waitFor(LONG);
      // While guests are off, the dialog says so and links to the setting.
      expect(await invite()).toEqual({ roles: ["admin", "member"], hint: 1 });

      const services = await harnessServices();
      try {
        await services.tenants.updateTenant(tenantId, { settings: { allowGuestAccess: true } }, SYSTEM);
      } finally {
        await services.close();
      }
      await page.reload();
      await page.getByTestId(`member-owner@${slug}.test`).waitFor(LONG);
      expect(await invite()).toEqual({ roles: ["admin", "member", "guest"], hint: 0 });
    } finally {
      page.off("pageerror", onError);
      page.off("console", onConsole);
    }
    // Hydration mismatches and invalid nesting (whitespace in a table row) show up here.
    expect(problems).toEqual([]);
  });

  it("lines up the cards of several files in one message", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/"));
    await page.getByTestId("channel-title").getByText("general").waitFor(LONG);
    await page.getByTestId("file-input").setInputFiles([
      { name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("short") },
      {
        name: "a-much-longer-file-name-for-the-quarterly-report.csv",
        mimeType: "text/csv",
        buffer: Buffer.from("x,y\n1,2\n"),
      },
      { name: "notes.md", mimeType: "text/markdown", buffer: Buffer.from("# notes") },
    ]);
    await expect.poll(() => page.getByTestId("upload").getByText("ready to send").count(), LONG).toBe(3);
    await page.getByTestId("composer").fill("Three files");
    await page.getByTestId("composer").press("Enter");
    const message = page.locator("[id^='message-']").filter({ hasText: "Three files" });
    const cards = message.getByTestId("file-card");
    await expect.poll(() => cards.count(), LONG).toBe(3);
    const boxes = await cards.evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      }),
    );
    await screenshot(page, "attachments-aligned");
    // One width and one height for every card, whatever the file name …
    expect(new Set(boxes.map((b) => Math.round(b.width))).size).toBe(1);
    expect(new Set(boxes.map((b) => Math.round(b.height))).size).toBe(1);
    // … and two cards are either in one row (the same top edge) or in different rows (no overlap).
    for (const a of boxes)
      for (const b of boxes) {
        const dy = Math.abs(a.y - b.y);
        expect(dy < 1 || dy >= a.height).toBe(true);
      }
  });

  it("serves a favicon on tenant hosts, the base domain and the admin app", async () => {
    const hosts: { host: string; app?: "admin" }[] = [
      { host: `${slug}.${e2e().baseDomain}` },
      { host: e2e().baseDomain },
    ];
    if (e2e().adminPort) hosts.push({ host: e2e().baseDomain, app: "admin" });
    for (const { host, app } of hosts) {
      const res = await rawRequest({ host, path: "/favicon.ico", ...(app ? { app } : {}) });
      expect({ host, app, status: res.status }).toEqual({ host, app, status: 200 });
      expect(String(res.headers["content-type"])).toMatch(/image\//);
    }
  });
});
