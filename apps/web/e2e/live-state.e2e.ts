/**
 * What a page shows stays true without a reload: who is online right after a page loads, the
 * workspace's plan, name and branding after a change made elsewhere (a super admin, another
 * process), a member whose role changes keeps working (and what they typed), and a draft survives
 * a sign-in in between.
 */
import { createServices, type ResolvedTenant, type Services, SYSTEM } from "@nchat/api";
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

const OWNER = { email: "owner@live.test", name: "Lena Live", password: "live-password-123" };
const PEER = { email: "peer@live.test", name: "Paul Peer", password: "peer-password-123" };

describe("live workspace state", () => {
  let browser: Browser;
  // A process of its own (not the web app's): what it changes reaches the app only through pub/sub.
  let services: Services;
  let tenant: ResolvedTenant;
  let peerId = "";
  const slug = uniqueSlug("live");
  let ownerCtx: BrowserContext;
  let peerCtx: BrowserContext;
  let owner: Page;
  let peer: Page;

  beforeAll(async () => {
    services = await createServices(loadEnv({ ...e2e().env, NODE_ENV: "test" }));
    ({ tenant } = await createWorkspace(services, { name: "Live Co", slug, owner: OWNER }));
    peerId = await addMember(services, tenant, PEER);
    const ownerActor = (await services.members.list(tenant)).members.find((m) => m.email === OWNER.email)!;
    await services.chat.createChannel(
      tenant,
      { type: "user", id: ownerActor.id, email: OWNER.email, role: "owner" },
      { name: "random", memberIds: [peerId] },
    );
    browser = await launchBrowser();
    ownerCtx = await newUserContext(browser);
    peerCtx = await newUserContext(browser);
    owner = await ownerCtx.newPage();
    peer = await peerCtx.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await services?.close();
  });
  screenshotOnFailure(() => browser?.contexts().flatMap((c) => c.pages()) ?? []);

  it("shows who is online as soon as a page loads (and after a reload)", async () => {
    await signIn(peer, slug, PEER); // the peer's tab stays open: online
    await signIn(owner, slug, OWNER);
    await owner.goto(tenantUrl(slug, "/members"));
    const peerRow = owner.getByTestId(`member-${PEER.email}`);
    await peerRow.getByText("Online").waitFor({ timeout: 15_000 });
    await owner.reload();
    await peerRow.getByText("Online").waitFor({ timeout: 15_000 });
    await screenshot(owner, "live-01-presence");
  });

  it("a plan, name and branding change made elsewhere reaches the open page", async () => {
    await owner.goto(tenantUrl(slug, "/"));
    await owner.getByTestId("channel-title").waitFor(LONG);
    const badge = owner.locator(".sidebar-header .badge");
    await badge.waitFor();
    expect(await badge.textContent()).not.toBe("enterprise");

    await services.tenants.updateTenant(tenant.id, { billingPlan: "enterprise" }, SYSTEM);
    await owner.locator(".sidebar-header .badge", { hasText: "enterprise" }).waitFor({ timeout: 15_000 });

    await services.tenants.updateTenant(
      tenant.id,
      { name: "Live Renamed", branding: { primaryColor: "#7c2d12" } },
      SYSTEM,
    );
    await owner
      .locator(".sidebar-header .tenant-name", { hasText: "Live Renamed" })
      .waitFor({ timeout: 15_000 });
    await owner.waitForFunction(
      () =>
        (document.querySelector(".tenant-root") as HTMLElement | null)?.style
          .getPropertyValue("--brand-primary")
          .trim() === "#7c2d12",
      undefined,
      { timeout: 15_000 },
    );
    await screenshot(owner, "live-02-tenant-updated");
  });

  it("a role change keeps the member signed in, and what they were typing is sent", async () => {
    await peer.goto(tenantUrl(slug, "/"));
    const composer = peer.getByTestId("composer");
    await composer.click();
    await composer.fill("Typed before my role changed");
    await services.members.changeRole(tenant, SYSTEM, peerId, "admin");
    await new Promise((r) => setTimeout(r, 1_000));
    await composer.press("Enter");
    await peer.getByTestId("message").filter({ hasText: "Typed before my role changed" }).waitFor(LONG);
    expect(new URL(peer.url()).pathname).toBe("/");
    // The new role applies: admins see Settings.
    await peer.reload();
    await peer.getByRole("link", { name: "Settings" }).waitFor(LONG);
  });

  it("keeps a draft across a reload and a sign-in forced by an expired session", async () => {
    await peer.goto(tenantUrl(slug, "/"));
    const composer = peer.getByTestId("composer");
    await composer.click();
    await composer.fill("A draft that must survive");
    await peer.reload();
    await peer.getByTestId("channel-title").waitFor(LONG);
    expect(await peer.getByTestId("composer").inputValue()).toBe("A draft that must survive");

    // The session is gone (expired elsewhere): sending sends the tab to the sign-in page.
    await peerCtx.clearCookies();
    await peer.getByTestId("composer").press("Enter");
    await peer.waitForURL((u) => u.pathname === "/login", LONG);
    await peer.getByLabel("Email").fill(PEER.email);
    await peer.getByLabel("Password").fill(PEER.password);
    await peer.getByRole("button", { name: "Sign in" }).click();
    await peer.getByTestId("channel-title").waitFor(LONG);
    await peer.waitForFunction(
      () =>
        (document.querySelector('[data-testid="composer"]') as HTMLTextAreaElement | null)?.value ===
        "A draft that must survive",
      undefined,
      { timeout: 15_000 },
    );
    await screenshot(peer, "live-03-draft-kept");
  });

  it("keeps one draft per channel", async () => {
    await peer.goto(tenantUrl(slug, "/"));
    await peer.getByTestId("channel-link-general").click();
    await peer.getByTestId("channel-title").getByText("general").waitFor(LONG);
    await peer.getByTestId("composer").fill("Draft for general");
    await peer.getByTestId("channel-link-random").click();
    await peer.getByTestId("channel-title").getByText("random").waitFor(LONG);
    expect(await peer.getByTestId("composer").inputValue()).toBe("");
    await peer.getByTestId("composer").fill("Draft for random");
    await peer.reload();
    await peer.getByTestId("channel-title").getByText("random").waitFor(LONG);
    expect(await peer.getByTestId("composer").inputValue()).toBe("Draft for random");
    await peer.getByTestId("channel-link-general").click();
    await peer.getByTestId("channel-title").getByText("general").waitFor(LONG);
    await expect.poll(() => peer.getByTestId("composer").inputValue()).toBe("Draft for general");
  });

  // Last: it suspends the workspace.
  it("custom limits and a suspension made elsewhere reach the open page", async () => {
    await owner.goto(tenantUrl(slug, "/members"));
    const limit = owner.getByTestId("users-limit");
    await limit.waitFor(LONG);
    await services.tenants.updateTenant(
      tenant.id,
      {
        billingPlan: "custom",
        limits: { users: 25, channels: 50, storageGb: 5, apiCallsPerMonth: 100_000, maxUploadMb: 10 },
      },
      SYSTEM,
    );
    await limit.getByText("2 of 25 users").waitFor({ timeout: 15_000 });

    await services.tenants.updateTenant(tenant.id, { status: "suspended" }, SYSTEM);
    await owner.getByRole("heading", { name: "Live Renamed is suspended" }).waitFor({ timeout: 15_000 });
    await screenshot(owner, "live-04-suspended-elsewhere");
  });
});
