/**
 * Keyboard and small-screen details of the chat: Escape closes the thread panel, Up in an empty
 * composer edits one's last message, an edit box keeps Save and Cancel in view, and on a phone
 * (390 px) picking a channel closes the navigation drawer.
 */
import type { Actor, ResolvedTenant } from "@nchat/api";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  signIn,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { email: "owner@keys.test", name: "Kira Keys", password: "keys-password-123" };
const LAST = ["Last message, line one", "line two", "line three", "line four", "line five", "line six"].join(
  "\n",
);

/** Whether the element is inside the visible part of the message list. */
const inView = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const list = document.querySelector('[data-testid="messages"]');
    if (!el || !list) return false;
    const a = el.getBoundingClientRect();
    const b = list.getBoundingClientRect();
    return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  }, selector);

describe("chat keys and small screens", () => {
  const spec = browserSpec();
  let tenant: ResolvedTenant;
  let generalId = "";
  let firstId = 0;
  const slug = uniqueSlug("keys");

  beforeAll(async () => {
    let actor: Actor;
    ({ tenant, owner: actor } = await createWorkspace(spec.services, {
      name: "Keys Co",
      slug,
      owner: OWNER,
      plan: "enterprise",
    }));
    const { channels } = await spec.services.chat.listChannels(tenant, actor);
    generalId = channels.find((c) => c.name === "general")!.id;
    await spec.services.chat.createChannel(tenant, actor, { name: "random" });
    for (let i = 1; i <= 30; i++) {
      const m = await spec.services.chat.send(tenant, actor, { channelId: generalId, body: `Filler ${i}` });
      if (i === 1) firstId = m.id;
    }
    await spec.services.chat.send(tenant, actor, { channelId: generalId, body: LAST });
  });

  it("Escape closes the thread panel", async () => {
    const page = await (await newUserContext(spec.browser)).newPage();
    await signIn(page, slug, OWNER);
    await page.goto(tenantUrl(slug, `/?c=${generalId}&t=${firstId}`));
    await page.getByTestId("thread-panel").waitFor(LONG);
    await page.getByTestId("thread-composer").click();
    await page.keyboard.press("Escape");
    await page.getByTestId("thread-panel").waitFor({ state: "detached", timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get("t")).toBeNull();
  });

  it("editing the last message keeps Save and Cancel in view; Up in an empty composer edits it", async () => {
    const page = await (await newUserContext(spec.browser)).newPage();
    await signIn(page, slug, OWNER);
    await page.goto(tenantUrl(slug, `/?c=${generalId}`));
    const last = page.getByTestId("message").filter({ hasText: "Last message, line one" });
    await last.waitFor(LONG);

    await last.hover();
    await last.getByRole("button", { name: "Edit message" }).click();
    await page.locator(".edit-box").waitFor();
    await page.waitForTimeout(500);
    expect(await inView(page, ".edit-actions")).toBe(true);
    await screenshot(page, "keys-01-edit-in-view");
    await page.keyboard.press("Escape");
    await page.locator(".edit-box").waitFor({ state: "detached" });

    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.press("ArrowUp");
    const box = page.locator(".edit-box textarea");
    await box.waitFor({ timeout: 10_000 });
    expect(await box.inputValue()).toBe(LAST);
    await box.fill("Last message, edited with the Up arrow");
    await box.press("Enter");
    await page.getByTestId("message").filter({ hasText: "edited with the Up arrow" }).waitFor(LONG);
  });

  it("on a phone, picking a channel closes the drawer", async () => {
    const ctx = await newUserContext(spec.browser, { viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await signIn(page, slug, OWNER);
    await page.getByRole("button", { name: "Open navigation" }).click();
    await page.locator(".app.app-drawer-open").waitFor();
    await page.getByTestId("channel-link-random").click();
    await page.getByTestId("channel-title").getByText("random").waitFor(LONG);
    await page.locator(".app.app-drawer-open").waitFor({ state: "detached", timeout: 10_000 });
    await screenshot(page, "keys-02-mobile-channel");
  });
});
