/**
 * Archiving asks first, keeps the history readable (also from Browse → Archived) and can be undone
 * by an admin; messages sent without a connection stay in view as "Not sent" with Retry and
 * Discard, and go out by themselves when the connection is back — also when the connection dropped
 * before the channel's messages had loaded.
 */
import type { Actor, ResolvedTenant } from "@nchat/api";
import type { BrowserContext, Page, Route } from "playwright-core";
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

const OWNER = { email: "owner@arch.test", name: "Ada Archive", password: "archive-password-1" };

describe("archiving and offline sends", () => {
  const spec = browserSpec();
  let tenant: ResolvedTenant;
  let ownerActor: Actor;
  let launchId = "";
  const slug = uniqueSlug("arch");
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ tenant, owner: ownerActor } = await createWorkspace(spec.services, {
      name: "Archive Co",
      slug,
      owner: OWNER,
      plan: "enterprise",
    }));
    const launch = await spec.services.chat.createChannel(tenant, ownerActor, { name: "launch" });
    launchId = launch.id;
    await spec.services.chat.send(tenant, ownerActor, { channelId: launchId, body: "Launch history line" });
    ctx = await newUserContext(spec.browser);
    page = await ctx.newPage();
  });

  const archivedAt = async () =>
    (await spec.services.chat.listChannels(tenant, ownerActor, { includeArchived: true })).channels.find(
      (c) => c.id === launchId,
    )?.archivedAt ?? null;

  it("asks before archiving, keeps the history readable, lists it in Browse, and unarchives", async () => {
    await signIn(page, slug, OWNER);
    await page.goto(tenantUrl(slug, `/?c=${launchId}`));
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);

    await page.getByRole("button", { name: "Members of launch" }).click();
    await page.getByRole("button", { name: "Archive channel", exact: true }).click();
    // A confirmation, nothing archived yet.
    const confirm = page.getByRole("alertdialog", { name: "Archive #launch?" });
    await confirm.waitFor();
    expect(await archivedAt()).toBeNull();
    await screenshot(page, "archive-01-confirm");
    await confirm.getByRole("button", { name: "Archive #launch" }).click();
    await page.getByRole("button", { name: "Unarchive channel" }).waitFor(LONG);
    expect(await archivedAt()).not.toBeNull();
    await page.getByRole("button", { name: "Close", exact: true }).click();

    // Still on screen, read-only.
    await page.getByTestId("archived-bar").waitFor(LONG);
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);
    expect(await page.getByTestId("composer").count()).toBe(0);

    // Browse lists it as archived; its history opens from there.
    await page.goto(tenantUrl(slug, "/"));
    await page.getByTestId("channel-title").waitFor(LONG);
    await page.getByRole("button", { name: "Browse channels" }).click();
    const row = page.getByTestId("archived-channel-launch");
    await row.waitFor(LONG);
    await screenshot(page, "archive-02-browse");
    await row.getByRole("link", { name: "View" }).click();
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);

    // An admin brings it back.
    await page.getByTestId("archived-bar").getByRole("button", { name: "Unarchive", exact: true }).click();
    await page.getByTestId("composer").waitFor(LONG);
    expect(await archivedAt()).toBeNull();
  });

  it("keeps messages sent offline in view with Retry and Discard, and sends them once back online", async () => {
    await page.goto(tenantUrl(slug, `/?c=${launchId}`));
    await page.getByTestId("composer").waitFor(LONG);
    // The connection drops once the channel's messages are on screen (going offline while they are
    // still loading is the next test).
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);
    await ctx.setOffline(true);
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.fill("Written on the train");
    await composer.press("Enter");
    await composer.fill("Never mind this one");
    await composer.press("Enter");

    const kept = page.getByTestId("pending-message").filter({ hasText: "Written on the train" });
    const dropped = page.getByTestId("pending-message").filter({ hasText: "Never mind this one" });
    await kept.getByText(/Not sent/).waitFor();
    await dropped.getByRole("button", { name: "Retry" }).waitFor();
    await screenshot(page, "offline-01-pending");
    await dropped.getByRole("button", { name: "Discard" }).click();
    await dropped.waitFor({ state: "detached" });

    await ctx.setOffline(false);
    await page.getByTestId("message").filter({ hasText: "Written on the train" }).waitFor(LONG);
    await kept.waitFor({ state: "detached" });
    const { messages } = await spec.services.chat.list(tenant, ownerActor, { channelId: launchId });
    expect(messages.map((m) => m.body)).toContain("Written on the train");
    expect(messages.map((m) => m.body)).not.toContain("Never mind this one");
  });

  it("keeps what was sent while the messages were still loading, and sends it once back online", async () => {
    // A slow start (a loaded machine): neither the realtime stream nor the first page of messages
    // has answered when the connection drops.
    const held: Route[] = [];
    const slow = /\/api\/trpc\/[^?]*(realtime\.events|chat\.list)/;
    await page.route(slow, (route) => {
      held.push(route);
    });
    await page.goto(tenantUrl(slug, `/?c=${launchId}`));
    const composer = page.getByTestId("composer");
    await composer.waitFor(LONG);
    await ctx.setOffline(true);
    await page.unroute(slow);
    for (const route of held.splice(0)) await route.abort("internetdisconnected").catch(() => {});
    await page.getByRole("status").filter({ hasText: "Loading messages" }).waitFor();
    expect(await page.getByTestId("messages").count()).toBe(0);

    await composer.fill("Written while loading");
    await composer.press("Enter");
    const pending = page.getByTestId("pending-message").filter({ hasText: "Written while loading" });
    await pending.getByText("Not sent: you are offline.").waitFor();
    await pending.getByRole("button", { name: "Retry" }).waitFor();
    await pending.getByRole("button", { name: "Discard" }).waitFor();
    await screenshot(page, "offline-02-pending-while-loading");

    await ctx.setOffline(false);
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);
    await page.getByTestId("message").filter({ hasText: "Written while loading" }).waitFor(LONG);
    await pending.waitFor({ state: "detached" });
    const { messages } = await spec.services.chat.list(tenant, ownerActor, { channelId: launchId });
    expect(messages.filter((m) => m.body === "Written while loading")).toHaveLength(1);
  });

  it("sends a message again on Retry after the server could not be reached", async () => {
    await page.goto(tenantUrl(slug, `/?c=${launchId}`));
    await page.getByTestId("composer").waitFor(LONG);
    await page.getByTestId("message").filter({ hasText: "Launch history line" }).waitFor(LONG);
    // The browser is online but the send never reaches the server (a dropped connection).
    const sends = /\/api\/trpc\/[^?]*chat\.send/;
    await page.route(sends, (route) => route.abort("connectionreset"));
    await page.getByTestId("composer").fill("Sent on the second try");
    await page.getByTestId("composer").press("Enter");
    const pending = page.getByTestId("pending-message").filter({ hasText: "Sent on the second try" });
    await pending.getByText("Not sent: cannot reach the server.").waitFor(LONG);

    await page.unroute(sends);
    await pending.getByRole("button", { name: "Retry" }).click();
    await page.getByTestId("message").filter({ hasText: "Sent on the second try" }).waitFor(LONG);
    await pending.waitFor({ state: "detached" });
    const { messages } = await spec.services.chat.list(tenant, ownerActor, { channelId: launchId });
    expect(messages.filter((m) => m.body === "Sent on the second try")).toHaveLength(1);
  });
});
