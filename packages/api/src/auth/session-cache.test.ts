import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPubSub } from "../infra/pubsub";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { AuthService, type Session } from "./auth-service";
import { SessionCache } from "./session-cache";
import { hashToken } from "./tokens";

// Two service instances over the same PostgreSQL (and Redis when the run has one) behave as two
// server processes: each has its own session cache, and only pub/sub connects them.
let a: Services;
let b: Services;
beforeAll(async () => {
  [a, b] = await Promise.all([testServices(), testServices()]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const slug = (p: string) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

/** Polls until `check` holds or 10 s passed; says which. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** The same browser (cookies) talking to the other process. */
function sameBrowserOn(services: Services, client: TestClient) {
  const other = new TestClient(services, client.host);
  for (const [k, v] of client.cookies) other.cookies.set(k, v);
  return other;
}

async function memberOf(owner: Awaited<ReturnType<typeof tenantWithOwner>>) {
  const email = `m-${Math.random().toString(36).slice(2, 8)}@people.test`;
  const { token } = await owner.client.call((c) => c.members.invite({ email, role: "member" }));
  const browser = new TestClient(a, owner.client.host);
  const res = await browser.call((c) =>
    c.members.acceptInvitation({ token, name: "Member", password: "member-password-1" }),
  );
  return { browser, userId: res.user.id };
}

describe("session cache across processes", () => {
  it("a sign-out on one process ends the session on the other", async () => {
    const owner = await tenantWithOwner(a, slug("sc-out"));
    const onB = sameBrowserOn(b, owner.client);
    expect(await onB.call((c) => c.auth.me())).toMatchObject({ user: { role: "owner" } }); // cached on b
    await owner.client.call((c) => c.auth.signOut());
    expect(await eventually(async () => (await onB.call((c) => c.auth.me())) === null)).toBe(true);
    await expect(onB.call((c) => c.chat.channels({}))).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a role change on one process applies on the other (session kept); a removal ends the sessions", async () => {
    const owner = await tenantWithOwner(a, slug("sc-role"));
    const m = await memberOf(owner);
    const onB = sameBrowserOn(b, m.browser);
    expect(await onB.call((c) => c.auth.me())).toMatchObject({ user: { role: "member" } });
    await owner.client.call((c) => c.members.changeRole({ userId: m.userId, role: "admin" }));
    expect(await eventually(async () => (await onB.call((c) => c.auth.me()))?.user.role === "admin")).toBe(
      true,
    );

    const m2 = await memberOf(owner);
    const m2OnB = sameBrowserOn(b, m2.browser);
    expect(await m2OnB.call((c) => c.auth.me())).toMatchObject({ user: { id: m2.userId } });
    await owner.client.call((c) => c.members.remove({ userId: m2.userId }));
    expect(await eventually(async () => (await m2OnB.call((c) => c.auth.me())) === null)).toBe(true);
  });

  it("requiring two-factor authentication applies at once to sessions cached on every process, of that tenant only", async () => {
    const owner = await tenantWithOwner(a, slug("sc-2fa"));
    const other = await tenantWithOwner(a, slug("sc-2fa"));
    const m = await memberOf(owner);
    const onB = sameBrowserOn(b, m.browser);
    const otherOnB = sameBrowserOn(b, other.client);
    // Cached on b (entries live 30 s), before the setting changes.
    expect(await onB.call((c) => c.auth.me())).toMatchObject({ twoFactor: { required: false } });
    expect(await otherOnB.call((c) => c.auth.me())).toMatchObject({ twoFactor: { required: false } });
    await owner.client.call((c) => c.tenant.update({ settings: { require2fa: true } }));
    expect(
      await eventually(async () => (await onB.call((c) => c.auth.me()))?.twoFactor.mustEnrol === true),
    ).toBe(true);
    await expect(onB.call((c) => c.chat.channels({}))).rejects.toMatchObject({ code: "FORBIDDEN" });
    // The session itself stays; another workspace's cached sessions are untouched.
    expect(await onB.call((c) => c.auth.me())).toMatchObject({ user: { id: m.userId } });
    expect(await otherOnB.call((c) => c.chat.channels({}))).toBeTruthy();
  });

  it("a cached session of tenant A is never an answer on tenant B's host", async () => {
    const ta = await tenantWithOwner(a, slug("sc-a"));
    const tb = await tenantWithOwner(a, slug("sc-b"));
    expect(await ta.client.call((c) => c.auth.me())).not.toBeNull(); // cached for A
    const onHostB = new TestClient(a, tb.client.host);
    for (const [k, v] of ta.client.cookies) onHostB.cookies.set(k, v);
    expect(await onHostB.call((c) => c.auth.me())).toBeNull();
    await expect(onHostB.call((c) => c.chat.channels({}))).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("session cache bounds", () => {
  it("does not keep a lookup that raced with a revocation", async () => {
    const cache = new SessionCache<string>({ pubsub: new LocalPubSub(), namespace: "t" });
    const entry = {
      session: "s",
      tenantId: "t1",
      userId: "u1",
      expiresAt: new Date(Date.now() + 60_000),
      lastUsedAt: new Date(),
    };
    const mark = cache.mark();
    await cache.revoke({ tenantId: "t1", userId: "u1" }); // lands while the lookup runs
    cache.set("h1", entry, mark);
    expect(cache.get("t1", "h1")).toBeUndefined();
    cache.set("h1", entry, cache.mark());
    expect(cache.get("t1", "h1")).toBeDefined();
    await cache.revoke({ tenantId: "t2", userId: "u1" }); // another tenant's user of the same id
    expect(cache.get("t1", "h1")).toBeDefined();
    await cache.revoke({ tenantId: "t1", tokenHash: "h1" });
    expect(cache.get("t1", "h1")).toBeUndefined();
  });

  it("forgets a session removed behind its back within the entry lifetime; honours the session expiry", async () => {
    const owner = await tenantWithOwner(a, slug("sc-ttl"));
    // A process whose invalidations never arrive (no shared pub/sub): only the lifetime bounds it.
    const cache = await new SessionCache<Session>({
      pubsub: new LocalPubSub(),
      namespace: "t",
      ttlMs: 300,
    }).start();
    const auth = new AuthService({ db: a.db, cache });
    const token = owner.client.cookies.get("nchat_session")!;
    expect(await auth.session(owner.tenant, token)).not.toBeNull();
    const sql = a.db.admin;
    await sql`delete from ${sql(owner.tenant.schemaName)}.sessions`;
    expect(await auth.session(owner.tenant, token)).not.toBeNull(); // served from the cache
    expect(await eventually(async () => (await auth.session(owner.tenant, token)) === null)).toBe(true);

    // An entry past its session's expiry answers "signed out" even while the row says otherwise.
    const { token: t2, session } = await a.auth.createSession(owner.tenant, owner.ownerId, {
      ip: null,
      userAgent: null,
    });
    const expired = new Date(Date.now() - 1000);
    cache.set(
      hashToken(t2),
      {
        session,
        tenantId: owner.tenant.id,
        userId: owner.ownerId,
        expiresAt: expired,
        lastUsedAt: new Date(),
      },
      cache.mark(),
    );
    expect(await auth.session(owner.tenant, t2)).toBeNull();
    expect(await a.auth.session(owner.tenant, t2)).not.toBeNull();
  });
});
