/**
 * A channel with history: older pages load on scrolling up, a mention jumps into the past and
 * newer pages load on the way back down, own messages can be edited and deleted (live for others),
 * direct messages open from the sidebar, and the member limit shows an upgrade prompt when reached.
 */
import { type Actor, type ResolvedTenant, SYSTEM } from "@nchat/api";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  signIn,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER = { email: "owner@history.test", name: "Hana History", password: "history-password-1" };
const PEER = { email: "peer@history.test", name: "Pete Peer", password: "peer-password-12" };

describe("history, jumps and edits", () => {
  const spec = browserSpec();
  let tenant: ResolvedTenant;
  const slug = uniqueSlug("hist");
  let owner: Page;
  let peer: Page;

  beforeAll(async () => {
    const created = await createWorkspace(spec.services, { name: "History Co", slug, owner: OWNER });
    tenant = created.tenant;
    const ownerActor = created.owner;
    const peerId = await addMember(spec.services, tenant, PEER);
    const peerActor: Actor = { type: "user", id: peerId, email: PEER.email, role: "member" };
    const { channels } = await spec.services.chat.listChannels(tenant, ownerActor);
    const general = channels.find((c) => c.name === "general")!;
    // 130 messages; number 10 mentions the owner.
    for (let i = 1; i <= 130; i++) {
      const body =
        i === 10 ? `Old news for @[${OWNER.name}](${ownerActor.id}): the launch moved` : `History line ${i}`;
      await spec.services.chat.send(tenant, i % 3 === 0 ? ownerActor : peerActor, {
        channelId: general.id,
        body,
      });
    }
    owner = await (await newUserContext(spec.browser)).newPage();
    peer = await (await newUserContext(spec.browser)).newPage();
  });

  it("loads older pages when scrolling up", async () => {
    await signIn(owner, slug, OWNER);
    const list = owner.getByTestId("messages");
    await list.getByText("History line 130", { exact: true }).waitFor(LONG);
    expect(await list.getByText("History line 20", { exact: true }).count()).toBe(0);
    for (let i = 0; i < 6 && (await list.getByText("History line 20", { exact: true }).count()) === 0; i++) {
      await list.evaluate((el) => {
        el.scrollTop = 0;
      });
      await owner.waitForTimeout(1_500);
    }
    await list.getByText("History line 20", { exact: true }).waitFor(LONG);
    await screenshot(owner, "40-history-older");
  });

  it("jumps to an old mention, then back to the latest", async () => {
    await owner.getByRole("button", { name: "Mentions of you" }).click();
    const panel = owner.getByTestId("mentions-panel");
    await panel.getByText("Old news for").waitFor(LONG);
    await screenshot(owner, "41-mentions-panel");
    await panel.getByText("Old news for").click();
    await owner.waitForURL((u) => u.searchParams.has("m"), LONG);
    const target = owner.locator(".message.highlighted", { hasText: "Old news for" });
    await target.waitFor(LONG);
    await screenshot(owner, "42-jump-to-message");
    await owner.getByRole("button", { name: "Jump to latest" }).click();
    await owner.getByTestId("messages").getByText("History line 130", { exact: true }).waitFor(LONG);
  });

  it("edits and deletes own messages, live for others", async () => {
    await signIn(peer, slug, PEER);
    const composer = owner.getByTestId("composer");
    await composer.fill("Typo in thsi message");
    await composer.press("Enter");
    const mine = owner.getByTestId("message").filter({ hasText: "Typo in thsi message" });
    await mine.waitFor(LONG);
    await peer.getByText("Typo in thsi message").waitFor(LONG);
    await mine.hover();
    await mine.getByRole("button", { name: "Edit message" }).click();
    const edit = owner.getByRole("textbox", { name: "Edit message" });
    await edit.fill("Typo in this message, fixed");
    await edit.press("Enter");
    await peer.getByText("Typo in this message, fixed").waitFor(LONG);
    await peer.getByTestId("message").filter({ hasText: "fixed" }).getByText("(edited)").waitFor(LONG);

    const gone = owner.getByTestId("message").filter({ hasText: "Typo in this message, fixed" });
    await gone.hover();
    await gone.getByRole("button", { name: "Delete message" }).click();
    await owner.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await peer.getByText("Typo in this message, fixed").waitFor({ state: "detached", timeout: 60_000 });
  });

  it("opens a direct message from the sidebar", async () => {
    await owner.getByRole("button", { name: "New direct message" }).click();
    await owner.getByRole("dialog").getByText(PEER.name).click();
    await owner.getByRole("button", { name: "Start conversation" }).click();
    await owner.getByTestId("channel-title").getByText(PEER.name).waitFor(LONG);
    await owner.getByTestId("composer").fill("Just between us");
    await owner.getByTestId("composer").press("Enter");
    // The peer gets the new DM in the sidebar with an unread count, live.
    const dm = peer.getByTestId("channel-link-dm");
    await dm.getByTestId("unread-badge").waitFor(LONG);
    await dm.click();
    await peer.getByText("Just between us").waitFor(LONG);
    await screenshot(peer, "43-direct-message");
  });

  it("browses public channels and joins one", async () => {
    const { members } = await spec.services.members.list(tenant);
    const ownerUser = members.find((m) => m.email === OWNER.email)!;
    await spec.services.chat.createChannel(
      tenant,
      { type: "user", id: ownerUser.id, email: ownerUser.email, role: "owner" },
      { name: "design", topic: "Pixels and type" },
    );
    await peer.getByRole("button", { name: "Browse channels" }).click();
    const dialog = peer.getByRole("dialog");
    await dialog.getByText("Pixels and type").waitFor(LONG);
    await screenshot(peer, "45-browse-channels");
    await dialog
      .getByRole("listitem")
      .filter({ hasText: "design" })
      .getByRole("button", { name: "Join" })
      .click();
    await peer.getByTestId("channel-title").getByText("design").waitFor(LONG);
    await peer.getByTestId("channel-link-design").waitFor(LONG);
  });

  it("shows the member limit and an upgrade prompt when it is reached", async () => {
    // Free: 10 seats. Owner + peer + 8 pending invitations = 10.
    for (let i = 1; i <= 8; i++)
      await spec.services.invitations.invite(tenant, SYSTEM, {
        email: `seat${i}@history.test`,
        role: "member",
      });
    await owner.getByRole("link", { name: "Members" }).click();
    await owner.getByTestId("users-limit").getByText("10 of 10 users").waitFor(LONG);
    await owner.getByText("Your plan's member limit is reached").waitFor(LONG);
    await owner.getByTestId("invitation-seat8@history.test").waitFor(LONG);
    expect(await owner.getByRole("button", { name: "Invite people" }).isDisabled()).toBe(true);
    await owner.getByRole("link", { name: "Upgrade plan" }).waitFor();
    await screenshot(owner, "44-member-limit");
  });
});
