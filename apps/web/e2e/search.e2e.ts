/**
 * Search: a query typed in the chat header's search box shows highlighted results; opening one lands
 * on the message in its channel (highlighted, older history loaded around it). Ctrl+K opens the quick
 * switcher, which moves to a channel by keyboard.
 */

import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  signIn,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { email: "owner@search.test", name: "Sam Search", password: "search-password-1" };

describe("search and quick switcher", () => {
  const spec = browserSpec();
  const slug = uniqueSlug("srch");
  let page: Page;

  beforeAll(async () => {
    const { tenant, owner } = await createWorkspace(spec.services, { name: "Search Co", slug, owner: OWNER });
    const { channels } = await spec.services.chat.listChannels(tenant, owner);
    const general = channels.find((c) => c.name === "general")!;
    const ops = await spec.services.chat.createChannel(tenant, owner, {
      name: "ops-room",
      topic: "Operations",
    });
    await spec.services.chat.send(tenant, owner, { channelId: ops.id, body: "The ops room is open" });
    // The message to find sits far back in #general: 80 newer messages come after it.
    await spec.services.chat.send(tenant, owner, {
      channelId: general.id,
      body: "The quarterly <b>kangaroo</b> report is ready",
    });
    for (let i = 1; i <= 80; i++)
      await spec.services.chat.send(tenant, owner, { channelId: general.id, body: `Later line ${i}` });
    page = await (await newUserContext(spec.browser)).newPage();
  });

  it("finds a message from the header search, highlighted, and opens it in context", async () => {
    await signIn(page, slug, OWNER);
    await page.getByTestId("messages").getByText("Later line 80", { exact: true }).waitFor(LONG);
    expect(await page.getByText("kangaroo report").count()).toBe(0);

    await page.getByTestId("header-search").pressSequentially("kangar");
    const dialog = page.getByRole("dialog", { name: "Search messages" });
    await dialog.waitFor(LONG);
    const hit = dialog.getByTestId("search-hit").first();
    await hit.waitFor(LONG);
    // The word being typed matches as a prefix; the match is marked, the markup in the text is not.
    expect(await hit.locator("mark").allTextContents()).toEqual(["kangaroo"]);
    expect(await hit.locator("b").count()).toBe(0);
    expect(await dialog.getByTestId("search-hit").count()).toBe(1);
    await screenshot(page, "90-search-results");

    // Keyboard: Enter opens the active result.
    await dialog.getByTestId("search-input").press("Enter");
    await page.waitForURL((u) => u.searchParams.has("m"), LONG);
    await dialog.waitFor({ state: "detached", ...LONG });
    const target = page.locator(".message.highlighted", { hasText: "kangaroo" });
    await target.waitFor(LONG);
    await screenshot(page, "91-search-landed");
  });

  it("applies operators and shows them as chips", async () => {
    // "/" outside a text field goes to the header search.
    await page.getByTestId("channel-title").click();
    await page.keyboard.press("/");
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-testid")))
      .toBe("header-search");
    await page.getByTestId("header-search").fill("open in:#ops-room");
    const dialog = page.getByRole("dialog", { name: "Search messages" });
    await dialog.getByText("in:#ops-room", { exact: true }).waitFor(LONG);
    const hit = dialog.getByTestId("search-hit").first();
    await hit.waitFor(LONG);
    expect(await hit.locator("mark").allTextContents()).toEqual(["open"]);
    await dialog.getByTestId("search-input").fill("kangaroo before:someday");
    await dialog.getByText(/takes a date as YYYY-MM-DD/).waitFor(LONG);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached", ...LONG });
  });

  it("Ctrl+K switches to a channel by keyboard", async () => {
    await page.keyboard.press("Control+k");
    const dialog = page.getByRole("dialog", { name: "Jump to…" });
    await dialog.waitFor(LONG);
    await dialog.getByTestId("switcher-input").pressSequentially("ops");
    await dialog.getByTestId("switcher-item").filter({ hasText: "ops-room" }).waitFor(LONG);
    await screenshot(page, "92-quick-switcher");
    await dialog.getByTestId("switcher-input").press("ArrowDown");
    await dialog.getByTestId("switcher-input").press("ArrowUp");
    await dialog.getByTestId("switcher-input").press("Enter");
    await page.getByTestId("channel-title").getByText("ops-room").waitFor(LONG);
    await page.getByText("The ops room is open").waitFor(LONG);
    await dialog.waitFor({ state: "detached", ...LONG });
  });
});
