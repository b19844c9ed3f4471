/**
 * Desktop notifications (asked for only on request; raised as the per-channel settings say), pinned
 * messages live for a second person, `:shortcode:` emoji autocomplete, highlighted code blocks, the
 * image viewer and the "New messages" line.
 */
import { type Actor, createServices, type ResolvedTenant, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  createWorkspace,
  e2e,
  LONG,
  launchBrowser,
  newUserContext,
  screenshot,
  screenshotOnFailure,
  signIn,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { email: "owner@features.test", name: "Olga Owner", password: "features-password-1" };
const PEER = { email: "peer@features.test", name: "Pia Peer", password: "features-password-2" };

/** An 8×8 PNG, red or blue. */
const PNG = (colour: "red" | "blue") =>
  Buffer.from(
    colour === "red"
      ? "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO4o6aGFTEMLQkAF/tKAS/fz4YAAAAASUVORK5CYII="
      : "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGNQTX6NFTEMLQkADGRcwcht3uAAAAAASUVORK5CYII=",
    "base64",
  );

/**
 * Records what the page asks of the Notification API: `requestPermission` calls and every
 * `new Notification(title, { body })` (the real one is still made).
 */
function recordNotifications() {
  const w = window as unknown as {
    __asked: number;
    __notified: { title: string; body: string }[];
    Notification?: typeof Notification;
  };
  w.__asked = 0;
  w.__notified = [];
  const Native = w.Notification;
  if (!Native) return;
  class Recording extends Native {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      w.__notified.push({ title, body: options?.body ?? "" });
    }
  }
  Object.defineProperty(Recording, "permission", { get: () => Native.permission });
  Object.defineProperty(Recording, "requestPermission", {
    value: (...args: Parameters<typeof Notification.requestPermission>) => {
      w.__asked++;
      return Native.requestPermission(...args);
    },
  });
  w.Notification = Recording;
}

const notified = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notified: { title: string; body: string }[] }).__notified);
const asked = (page: Page) => page.evaluate(() => (window as unknown as { __asked: number }).__asked);
const messageWith = (page: Page, text: string) => page.getByTestId("message").filter({ hasText: text });

describe("message features", () => {
  let browser: Browser;
  // A process of its own: what it sends reaches the pages through pub/sub, like another person's.
  let services: Services;
  let tenant: ResolvedTenant;
  let owner: Actor;
  let peer: Actor;
  let ownerCtx: BrowserContext;
  let peerCtx: BrowserContext;
  let ownerPage: Page;
  let peerPage: Page;
  const slug = uniqueSlug("feat");
  const ids = { general: "", random: "", side: "", dm: "" };

  beforeAll(async () => {
    services = await createServices(loadEnv({ ...e2e().env, NODE_ENV: "test" }));
    ({ tenant, owner } = await createWorkspace(services, {
      name: "Features Co",
      slug,
      owner: OWNER,
      plan: "enterprise",
    }));
    const peerId = await addMember(services, tenant, PEER);
    peer = { type: "user", id: peerId, email: PEER.email, role: "member" };
    const { channels } = await services.chat.listChannels(tenant, owner);
    ids.general = channels.find((c) => c.name === "general")!.id;
    ids.random = (
      await services.chat.createChannel(tenant, owner, { name: "random", memberIds: [peerId] })
    ).id;
    ids.side = (await services.chat.createChannel(tenant, owner, { name: "side", memberIds: [peerId] })).id;
    ids.dm = (await services.chat.openDm(tenant, peer, { userIds: [owner.id!] })).id;
    // The owner muted #random (the server keeps it; the page reads it).
    await services.chat.setNotificationSettings(tenant, owner, { channelId: ids.random, muted: true });

    browser = await launchBrowser();
    ownerCtx = await newUserContext(browser);
    await ownerCtx.grantPermissions(["notifications"], { origin: tenantUrl(slug, "").replace(/\/$/, "") });
    await ownerCtx.addInitScript(recordNotifications);
    peerCtx = await newUserContext(browser);
    await peerCtx.addInitScript(recordNotifications);
    ownerPage = await ownerCtx.newPage();
    peerPage = await peerCtx.newPage();
    await signIn(ownerPage, slug, OWNER);
    await signIn(peerPage, slug, PEER);
  });

  afterAll(async () => {
    await browser?.close();
    await services?.close();
  });
  screenshotOnFailure(() => browser?.contexts().flatMap((c) => c.pages()) ?? []);

  const send = (who: Actor, channelId: string, body: string) =>
    services.chat.send(tenant, who, { channelId, body });

  it("asks for notification permission only when the person chooses to", async () => {
    // Permission not granted: a banner offers it; loading the page asked nothing.
    const banner = peerPage.getByTestId("notifications-banner");
    await banner.waitFor(LONG);
    expect(await asked(peerPage)).toBe(0);
    // Dismissed, it stays away (also after a reload), and nothing was asked.
    await banner.getByRole("button", { name: "Dismiss" }).click();
    await banner.waitFor({ state: "detached" });
    await peerPage.reload();
    await peerPage.getByTestId("channel-title").waitFor(LONG);
    expect(await peerPage.getByTestId("notifications-banner").count()).toBe(0);
    expect(await asked(peerPage)).toBe(0);
    // The channel's notification settings offer it too: asked once, on that click.
    await peerPage.getByTestId("notification-settings").click();
    await peerPage.getByRole("button", { name: "Enable desktop notifications" }).click();
    await peerPage.waitForFunction(() => (window as unknown as { __asked: number }).__asked === 1);
    await peerPage.keyboard.press("Escape");
    // Granted: no banner.
    expect(await ownerPage.getByTestId("notifications-banner").count()).toBe(0);
  });

  it("notifies for DMs and mentions, not for muted channels, my own messages or the channel on screen", async () => {
    await ownerPage.goto(tenantUrl(slug, `/?c=${ids.side}`));
    await ownerPage.getByTestId("channel-title").filter({ hasText: "side" }).waitFor(LONG);
    // Settings loaded: #random shows as muted.
    await ownerPage.getByTestId("channel-link-random").getByTestId("muted-mark").waitFor(LONG);
    // The stream is live once a message from elsewhere shows up (the channel on screen: no notification).
    await send(peer, ids.side, "@channel on screen right now");
    await messageWith(ownerPage, "on screen right now").waitFor(LONG);

    const mention = `@[${OWNER.name}](${owner.id})`;
    await send(peer, ids.random, `muted news for ${mention}`);
    await send(peer, ids.general, "general chatter without a mention");
    await send(owner, ids.dm, "my own words in the DM");
    await send(peer, ids.general, `${mention} please review`);
    await send(peer, ids.dm, "psst, a direct message");
    await ownerPage.waitForFunction(
      () => (window as unknown as { __notified: unknown[] }).__notified.length >= 2,
      undefined,
      LONG,
    );
    // Events arrive in order: everything before the last one was decided already.
    expect(await notified(ownerPage)).toEqual([
      { title: `${PEER.name} in #general`, body: `@${OWNER.name} please review` },
      { title: PEER.name, body: "psst, a direct message" },
    ]);
    await screenshot(ownerPage, "features-01-notifications");

    // Changing a level takes effect: #general to "Nothing", then a mention there is silent.
    await ownerPage.goto(tenantUrl(slug, `/?c=${ids.general}`));
    await ownerPage.getByTestId("notification-settings").click();
    await ownerPage.getByRole("radio", { name: "Nothing" }).check();
    await ownerPage.getByRole("radio", { name: "Nothing" }).waitFor();
    await expect
      .poll(async () =>
        (await services.chat.notificationSettings(tenant, owner)).channels.find(
          (c) => c.channelId === ids.general,
        ),
      )
      .toMatchObject({ level: "nothing" });
    await ownerPage.keyboard.press("Escape");
    await ownerPage.goto(tenantUrl(slug, `/?c=${ids.side}`));
    await ownerPage.getByTestId("channel-title").filter({ hasText: "side" }).waitFor(LONG);
    await send(peer, ids.side, "another probe on screen");
    await messageWith(ownerPage, "another probe on screen").waitFor(LONG);
    await send(peer, ids.general, `${mention} silenced now`);
    await send(peer, ids.dm, "second direct message");
    await ownerPage.waitForFunction(
      () => (window as unknown as { __notified: unknown[] }).__notified.length >= 1,
      undefined,
      LONG,
    );
    expect(await notified(ownerPage)).toEqual([{ title: PEER.name, body: "second direct message" }]);
  });

  it("shows the New messages line above the first unread message when a channel opens", async () => {
    // The owner read #side (it was on screen); three messages arrive while they look elsewhere.
    await expect
      .poll(
        async () =>
          (await services.chat.unreadCounts(tenant, owner)).channels.find((c) => c.channelId === ids.side)
            ?.unread,
        LONG,
      )
      .toBe(0);
    await ownerPage.goto(tenantUrl(slug, `/?c=${ids.random}`));
    await ownerPage.getByTestId("channel-title").filter({ hasText: "random" }).waitFor(LONG);
    await send(peer, ids.side, "unread one");
    await send(peer, ids.side, "unread two");
    await send(peer, ids.side, "unread three");
    await ownerPage.getByTestId("channel-link-side").getByTestId("unread-badge").waitFor(LONG);
    await ownerPage.getByTestId("channel-link-side").click();
    // (#random, muted, has a line of its own: look in #side's pane once it is there.)
    const pane = ownerPage.getByRole("region", { name: "side", exact: true });
    await messageWith(ownerPage, "unread three").waitFor(LONG);
    const line = pane.getByTestId("new-messages-line");
    await line.waitFor(LONG);
    const next = await line.evaluate((el) => el.nextElementSibling?.textContent ?? "");
    expect(next).toContain("unread one");
    const before = await line.evaluate((el) => el.previousElementSibling?.textContent ?? "");
    expect(before).toContain("another probe on screen");
    await screenshot(ownerPage, "features-02-new-messages");
  });

  it("pins a message and the other person sees it pinned, live, and unpinned again", async () => {
    const m = await send(owner, ids.general, "Release on Friday at noon");
    await ownerPage.goto(tenantUrl(slug, `/?c=${ids.general}`));
    await peerPage.goto(tenantUrl(slug, `/?c=${ids.general}`));
    const ownMessage = messageWith(ownerPage, "Release on Friday");
    await ownMessage.waitFor(LONG);
    await messageWith(peerPage, "Release on Friday").waitFor(LONG);
    await ownMessage.hover();
    await ownMessage.getByRole("button", { name: "Pin message" }).click();

    const peerMessage = messageWith(peerPage, "Release on Friday");
    await peerMessage.getByTestId("pin-mark").waitFor(LONG);
    await peerPage.getByTestId("pinned-button").click();
    const item = peerPage.getByTestId("pinned-item").filter({ hasText: "Release on Friday" });
    await item.waitFor(LONG);
    expect(await item.textContent()).toContain(`pinned by ${OWNER.name}`);
    await screenshot(peerPage, "features-03-pinned-list");
    // Unpinned from the peer's list: gone from the owner's page too.
    await item.getByRole("button", { name: "Unpin" }).click();
    await item.waitFor({ state: "detached" });
    await peerPage.keyboard.press("Escape");
    await ownMessage.getByTestId("pin-mark").waitFor({ state: "detached", ...LONG });
    expect((await services.chat.pins(tenant, owner, { channelId: ids.general })).pins).toEqual([]);
    expect(m.id).toBeGreaterThan(0);
  });

  it("completes :shortcodes: into emoji in the composer; the emoji picker searches, for the composer and reactions", async () => {
    const composer = ownerPage.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("Shipped :tad");
    const option = ownerPage.getByRole("option", { name: /:tada:/ });
    await option.waitFor(LONG);
    await composer.press("Enter");
    expect(await composer.inputValue()).toBe("Shipped 🎉");
    // A whole shortcode typed with its closing colon becomes the emoji too.
    await composer.pressSequentially(" :rocket:");
    await expect.poll(() => composer.inputValue()).toBe("Shipped 🎉 🚀");
    await composer.press("Enter");
    await messageWith(peerPage, "Shipped 🎉 🚀").waitFor(LONG);

    // The picker: search, pick, and the emoji is in the box.
    await ownerPage.getByRole("button", { name: "Insert an emoji" }).click();
    const picker = ownerPage.getByTestId("emoji-picker");
    await picker.locator('input[type="search"]').fill("rocket");
    await picker.getByRole("button", { name: "🚀", exact: true }).first().click();
    await picker.waitFor({ state: "detached" });
    expect(await composer.inputValue()).toBe("🚀");
    await composer.fill("");

    // The same picker serves reactions.
    const peerMessage = messageWith(peerPage, "Shipped 🎉 🚀");
    await peerMessage.hover();
    await peerMessage.getByRole("button", { name: "More reactions" }).click();
    const reactionPicker = peerPage.getByTestId("emoji-picker");
    await reactionPicker.locator('input[type="search"]').fill("tada");
    await reactionPicker.getByRole("button", { name: "🎉", exact: true }).first().click();
    await messageWith(ownerPage, "Shipped 🎉 🚀").getByRole("button", { name: /^🎉 1/ }).waitFor(LONG);
  });

  it("renders a fenced code block highlighted", async () => {
    await send(peer, ids.general, "```ts\nconst answer: number = 42;\n```");
    const code = ownerPage.locator(".md pre code.hljs").filter({ hasText: "const answer" });
    await code.waitFor(LONG);
    expect(await code.locator(".hljs-keyword").first().textContent()).toBe("const");
    expect(await code.locator(".hljs-number").first().textContent()).toBe("42");
    await screenshot(ownerPage, "features-04-code");
  });

  it("opens image attachments in a viewer with previous / next, download, and Escape to close", async () => {
    // The peer uploads two pictures from the composer (the files live where the web app keeps them).
    await peerPage.getByTestId("file-input").setInputFiles([
      { name: "red.png", mimeType: "image/png", buffer: PNG("red") },
      { name: "blue.png", mimeType: "image/png", buffer: PNG("blue") },
    ]);
    await expect.poll(() => peerPage.getByTestId("upload").getByText("ready to send").count(), LONG).toBe(2);
    await peerPage.getByTestId("composer").fill("Two colours");
    await peerPage.getByTestId("composer").press("Enter");
    const message = messageWith(ownerPage, "Two colours");
    const thumbs = message.getByTestId("image-thumbnail");
    await thumbs.nth(1).waitFor(LONG);
    // (The two uploads ran at once: either may come first.)
    const first = (await thumbs.first().getAttribute("aria-label"))!.replace(/^View /, "");
    const other = first === "red.png" ? "blue.png" : "red.png";
    await thumbs.first().click();
    const viewer = ownerPage.getByRole("dialog", { name: first });
    await viewer.getByTestId("image-viewer").waitFor(LONG);
    expect(await viewer.getByTestId("image-viewer-position").textContent()).toMatch(/^1 of 2/);
    // The full image is there (decoded, 8 px wide).
    await ownerPage.waitForFunction(
      () =>
        (document.querySelector('[data-testid="image-viewer"] img') as HTMLImageElement | null)
          ?.naturalWidth === 8,
      undefined,
      LONG,
    );
    await viewer.getByRole("button", { name: "Next image" }).click();
    const second = ownerPage.getByRole("dialog", { name: other });
    await second.waitFor();
    expect(await second.getByTestId("image-viewer-position").textContent()).toMatch(/^2 of 2/);
    const download = second.getByRole("link", { name: "Download" });
    expect(await download.getAttribute("href")).toMatch(/^\/api\/attachments\/[0-9a-f-]{36}$/);
    expect(await download.getAttribute("download")).toBe(other);
    await ownerPage.keyboard.press("ArrowLeft");
    await ownerPage.getByRole("dialog", { name: first }).waitFor();
    await screenshot(ownerPage, "features-05-image-viewer");
    await ownerPage.keyboard.press("Escape");
    await ownerPage.getByTestId("image-viewer").waitFor({ state: "detached" });
  });
});
