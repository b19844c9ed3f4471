import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { person, type Workspace, workspace } from "../chat/test-kit";
import { fetchAvatar } from "../profile/testkit";
import { unsubscribeRoute } from "../rest/unsubscribe";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, TestClient, testServices } from "../testing";
import { ANONYMOUS_POLICIES, AUTH_POLICIES, addressBucket, USER_SHARE } from "./policies";

/**
 * Request quotas on a Free workspace (60 per minute): anonymous traffic has its own budget per
 * client address and never spends the tenant's; a member spends a share of it, then the tenant's.
 */

let services: Services;
beforeAll(async () => {
  services = await testServices();
  vi.spyOn(console, "info").mockImplementation(() => {});
});
afterAll(() => services.close());

// Sliding windows carry the previous window over: start every test just after an hour boundary.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 1_000);
});
afterEach(() => vi.useRealTimers());

const ANON_PER_MINUTE = ANONYMOUS_POLICIES[0].limit;

async function statuses(n: number, call: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call()).status);
  return out;
}
const ok = (s: number[]) => s.filter((x) => x === 200).length;

describe("anonymous requests", () => {
  let b: Workspace;
  beforeAll(async () => {
    b = await workspace(services, "rl-anon");
  });

  it("100 anonymous calls from one address on B's host: B's owner still gets 200", async () => {
    const stranger = new TestClient(services, b.client.host);
    const s = await statuses(100, () => stranger.http("tenant.public"));
    expect(ok(s)).toBe(ANON_PER_MINUTE);
    expect(s.at(-1)).toBe(429);
    expect((await b.client.http("chat.channels")).status).toBe(200);
    expect((await b.client.http("tenant.public")).status).toBe(200);
  });

  it("a flood from many addresses is bounded per address, and the members keep working", async () => {
    const strangers = Array.from({ length: 4 }, () => new TestClient(services, b.client.host));
    for (const s of strangers) {
      const got = await statuses(ANON_PER_MINUTE + 5, () => s.http("tenant.public"));
      expect(ok(got)).toBe(ANON_PER_MINUTE);
    }
    expect((await b.client.http("chat.channels")).status).toBe(200);
  });

  it("failed credentials spend the address's anonymous budget, not the tenant's", async () => {
    const guesser = new TestClient(services, b.client.host);
    guesser.cookies.set(SESSION_COOKIE, "guessed-session-token");
    const s = await statuses(ANON_PER_MINUTE + 5, () => guesser.http("chat.channels"));
    expect(s.filter((x) => x === 401).length).toBe(ANON_PER_MINUTE);
    expect(s.at(-1)).toBe(429);
    expect((await b.client.http("chat.channels")).status).toBe(200);
  });

  it("REST routes too: a guessed cookie on /api/avatars and unsigned unsubscribe posts spend the address's budget", async () => {
    const guesser = new TestClient(services, b.client.host);
    guesser.cookies.set(SESSION_COOKIE, "guessed-session-token");
    const avatars = await statuses(ANON_PER_MINUTE + 5, () => fetchAvatar(services, guesser, b.ownerId));
    expect(avatars.filter((x) => x === 401).length).toBe(ANON_PER_MINUTE);
    expect(avatars.at(-1)).toBe(429);

    const stranger = new TestClient(services, b.client.host);
    const unsubscribe = () =>
      unsubscribeRoute(
        services,
        new Request(`http://${b.client.host}/api/unsubscribe?t=forged`, {
          method: "POST",
          headers: { host: b.client.host, "x-nchat-client-address": stranger.ip },
        }),
      );
    const links = await statuses(ANON_PER_MINUTE + 5, unsubscribe);
    expect(links.filter((x) => x === 404).length).toBe(ANON_PER_MINUTE);
    expect(links.at(-1)).toBe(429);
    // The members' quota is untouched.
    expect((await b.client.http("chat.channels")).status).toBe(200);
  });
});

describe("members", () => {
  it("one member spamming cannot make another member get 429 before the per-user share is used", async () => {
    const ws = await workspace(services, "rl-share");
    const spammer = await person(services, ws);
    const other = await person(services, ws);
    const share = Math.ceil(60 * USER_SHARE);
    const s = await statuses(share + 10, () => spammer.client.http("chat.channels"));
    expect(ok(s)).toBe(share);
    expect(s.at(-1)).toBe(429);
    // The others still have the rest of the tenant's minute.
    expect((await other.client.http("chat.channels")).status).toBe(200);
    expect((await ws.client.http("chat.channels")).status).toBe(200);
  });
});

describe("a tRPC batch", () => {
  it("is one request: its calls share one decision (a page asks for several things at once)", async () => {
    const ws = await workspace(services, "rl-batch");
    const member = await person(services, ws);
    const share = Math.ceil(60 * USER_SHARE);
    const single = await statuses(share - 1, () => member.client.http("chat.channels"));
    expect(ok(single)).toBe(share - 1);
    // Five calls in one HTTP request spend the last unit of the share together…
    const batch = await member.client.http(
      "chat.channels,chat.unreadCounts,members.list,ui.features,auth.me?batch=1",
    );
    expect(batch.status).toBe(200);
    const results = (await batch.json()) as { error?: unknown }[];
    expect(results).toHaveLength(5);
    expect(results.filter((r) => r.error)).toEqual([]);
    // …so the next request is the one over it — and all calls of a batch over it are refused alike.
    expect((await member.client.http("chat.channels")).status).toBe(429);
    const refused = await member.client.http("chat.channels,chat.unreadCounts?batch=1");
    const answers = (await refused.json()) as { error?: { json?: { data?: { appCode?: string } } } }[];
    expect(answers.map((a) => a.error?.json?.data?.appCode)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
  });
});

describe("credentials per client address", () => {
  const codeOf = (e: unknown) => (e as { cause?: { code?: string } }).cause?.code ?? String(e);

  it("sign-in: each address gets its own number of attempts across accounts; the next is refused", async () => {
    const ws = await workspace(services, "rl-login");
    const guesser = new TestClient(services, ws.client.host);
    const limit = AUTH_POLICIES.loginPerIp.limit;
    const outcomes: string[] = [];
    for (let i = 0; i <= limit; i++)
      // A different (unknown) account each time: only the per-address limit can refuse.
      outcomes.push(
        await guesser
          .call((c) => c.auth.signIn({ email: `nobody-${i}@${ws.slug}.test`, password: "wrong" }))
          .then(() => "ok", codeOf),
      );
    expect(outcomes.slice(0, limit)).toEqual(Array(limit).fill("UNAUTHORIZED"));
    expect(outcomes.at(-1)).toBe("RATE_LIMITED");
    // The owner, from their own address, signs in.
    const owner = new TestClient(services, ws.client.host);
    await expect(
      owner.call((c) => c.auth.signIn({ email: `owner@${ws.slug}.test`, password: "owner-password-1" })),
    ).resolves.toBeTruthy();
  });

  it("sign-up: each address gets its own number of attempts an hour", async () => {
    const visitor = new TestClient(services, TEST_BASE_DOMAIN);
    const limit = AUTH_POLICIES.signupPerIp.limit;
    const outcomes: string[] = [];
    // An invalid form: refused after the attempt was counted, creating nothing.
    for (let i = 0; i <= limit; i++)
      outcomes.push(await visitor.call((c) => c.auth.signUp({} as never)).then(() => "ok", codeOf));
    expect(outcomes.slice(0, limit).every((o) => o !== "RATE_LIMITED" && o !== "ok")).toBe(true);
    expect(outcomes.at(-1)).toBe("RATE_LIMITED");
    const other = new TestClient(services, TEST_BASE_DOMAIN);
    expect(await other.call((c) => c.auth.signUp({} as never)).then(() => "ok", codeOf)).not.toBe(
      "RATE_LIMITED",
    );
  });
});

describe("addressBucket", () => {
  it("counts IPv6 by its /64 and IPv4-mapped addresses as IPv4", () => {
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe(addressBucket("2001:db8:1:2:ffff:1:2:3"));
    expect(addressBucket("2001:db8:1:2::1")).not.toBe(addressBucket("2001:db8:1:3::1"));
    expect(addressBucket("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(addressBucket("10.1.2.3")).toBe("10.1.2.3");
    expect(addressBucket(null)).toBe("unknown");
    expect(addressBucket("not an address")).toBe("unknown");
  });
});
