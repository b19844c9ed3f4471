import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { PgPresenceStore } from "./presence";
import { addMember, Subscription } from "./testkit";

// Two service instances over the same PostgreSQL (and Redis when the run has one) behave as two
// server processes: each holds its own streams; only the presence store and pub/sub connect them.
let a: Services;
let b: Services;
const open: Subscription[] = [];
beforeAll(async () => {
  [a, b] = await Promise.all([testServices(), testServices()]);
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.stop()));
  await Promise.all([a?.close(), b?.close()]);
});

/** The same browser (cookies) talking to another process. */
function sameBrowserOn(services: Services, client: TestClient) {
  const other = new TestClient(services, client.host);
  for (const [k, v] of client.cookies) other.cookies.set(k, v);
  return other;
}

async function subscribe(services: Services, client: TestClient) {
  const sub = await Subscription.open(services, client);
  open.push(sub);
  await sub.ready();
  return sub;
}

const onlineSeenBy = async (client: TestClient) => (await client.call((c) => c.realtime.presence())).online;

describe("presence on page load", () => {
  it("a page that loads reads who is online, whichever process holds their stream", async () => {
    const owner = await tenantWithOwner(a, uniqueSlug("pres"));
    const member = await addMember(a, owner);
    // Nobody has a stream yet: nobody is online.
    expect(await onlineSeenBy(owner.client)).not.toContain(member.user.id);

    // The member's tab streams from process B; the owner's page loads on process A.
    const stream = await subscribe(b, sameBrowserOn(b, member.client));
    expect(await onlineSeenBy(owner.client)).toContain(member.user.id);
    expect(await onlineSeenBy(sameBrowserOn(b, owner.client))).toContain(member.user.id);

    await stream.stop();
    if (a.redis) {
      // Redis: the mark goes with the user's last stream.
      expect(await onlineSeenBy(owner.client)).not.toContain(member.user.id);
    }
  });

  it("another process's `offline` does not hide a user who still has a stream here", async () => {
    const owner = await tenantWithOwner(a, uniqueSlug("pres"));
    const member = await addMember(a, owner);
    const ownerStream = await subscribe(a, owner.client);
    const onA = await subscribe(a, member.client);
    const onB = await subscribe(b, sameBrowserOn(b, member.client));
    await onB.stop(); // B announces the member offline

    // The owner (on A, where the member still streams) never hears them go offline; a page loading
    // now still sees them online.
    await new Promise((r) => setTimeout(r, 1_000));
    const heard = ownerStream.items.flatMap((x) =>
      x.event.type === "presence" && x.event.user.id === member.user.id ? [x.event.status] : [],
    );
    expect(heard).toContain("online");
    expect(heard).not.toContain("offline");
    expect(await onlineSeenBy(sameBrowserOn(b, owner.client))).toContain(member.user.id);
    await onA.stop();
  });
});

describe("presence in PostgreSQL (no Redis)", () => {
  it("users.last_seen_at: online while the mark is fresh, written at most once per interval", async () => {
    const owner = await tenantWithOwner(a, uniqueSlug("pres"));
    const store = new PgPresenceStore(a.db, { ttlMs: 1_500, minWriteMs: 60_000 });
    const lastSeen = async () =>
      (
        await a.db.admin<{ last_seen_at: Date | null }[]>`
          select last_seen_at from ${a.db.admin(owner.tenant.schemaName)}.users where id = ${owner.ownerId}`
      )[0]!.last_seen_at;

    expect(await store.online(owner.tenant)).toEqual([]);
    await store.touch(owner.tenant, [owner.ownerId]);
    const first = await lastSeen();
    expect(first).not.toBeNull();
    expect(await store.online(owner.tenant)).toEqual([owner.ownerId]);
    // A heartbeat within the interval writes nothing.
    await store.touch(owner.tenant, [owner.ownerId]);
    expect(String(await lastSeen())).toBe(String(first));
    // Once the mark is older than the time to live, the user is offline.
    await new Promise((r) => setTimeout(r, 1_700));
    expect(await store.online(owner.tenant)).toEqual([]);
  });
});
