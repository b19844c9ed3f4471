import { randomBytes } from "node:crypto";
import { superAdmins } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { ADMIN_DEVICE_COOKIE } from "../auth/device-cookie";
import { AppError } from "../errors";
import { AUTH_POLICIES } from "../ratelimit/policies";
import type { Services } from "../server";
import { randomIp, TestClient, testServices } from "../testing";

let services: Services;
const password = "super-admin-password";
const meta = { ip: "198.51.100.1", userAgent: "vitest" };
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

async function newAdmin() {
  const email = `root-${randomBytes(4).toString("hex")}@platform.test`;
  await services.superAdmins.create({ email, name: "Root", password }, SYSTEM);
  return email;
}

/** The error code of a sign-in (or "ok"), and its Retry-After. */
async function attempt(email: string, pw: string) {
  try {
    await services.superAdmins.signIn({ email, password: pw }, meta);
    return { code: "ok" };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, retryAfter: err.details?.retryAfter as number | undefined };
  }
}

const row = async (email: string) =>
  (
    await services.db.admin<{ failed: number; wait: number | null }[]>`
      select failed_sign_ins as failed,
             extract(epoch from sign_in_blocked_until - now())::float8 as wait
      from public.super_admins where email = ${email}`
  )[0]!;

/** Ends the running back-off (instead of sleeping through it). */
const elapse = (email: string) =>
  services.db.adminDb
    .update(superAdmins)
    .set({ signInBlockedUntil: sql`now() - interval '1 ms'` })
    .where(eq(superAdmins.email, email));

describe("super-admin sign-in back-off per account", () => {
  it("refuses attempts during the back-off without counting them; the right password then works and clears it", async () => {
    const email = await newAdmin();
    expect((await attempt(email, "wrong-1")).code).toBe("UNAUTHORIZED");
    // Even the right password waits for the back-off, and hammering does not lengthen it.
    for (let i = 0; i < 5; i++) {
      const r = await attempt(email, i === 4 ? password : "wrong");
      expect(r.code).toBe("RATE_LIMITED");
      expect(r.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect((await row(email)).failed).toBe(1);
    await elapse(email);
    expect((await attempt(email, password)).code).toBe("ok");
    expect(await row(email)).toEqual({ failed: 0, wait: null });
  });

  it("grows 1, 1, 2, 4, 8 … seconds with each failure, and never beyond 5 minutes", async () => {
    const email = await newAdmin();
    const waits: number[] = [];
    for (let n = 1; n <= 12; n++) {
      expect((await attempt(email, `wrong-${n}`)).code).toBe("UNAUTHORIZED");
      // The claim of the next attempt would set this; read the back-off this failure earned.
      waits.push(Math.round((await row(email)).wait ?? 0));
      await elapse(email);
    }
    // Each attempt's claim set the back-off its own failure earns: 1 s for the first two, then doubling.
    expect(waits).toEqual([1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    // The real admin still gets in once the back-off ran out: never locked for good.
    expect((await attempt(email, password)).code).toBe("ok");
  });

  it("concurrent guesses get one try: the rest are refused before any password check", async () => {
    const email = await newAdmin();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(email, `guess-${i}`)));
    const codes = results.map((r) => r.code).sort();
    expect(codes.filter((c) => c === "UNAUTHORIZED")).toHaveLength(1);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(19);
    expect((await row(email)).failed).toBe(1);
  });

  it("an unknown email answers like a wrong password and leaves no trace", async () => {
    expect((await attempt("nobody@platform.test", "x")).code).toBe("UNAUTHORIZED");
    expect((await attempt("nobody@platform.test", "x")).code).toBe("UNAUTHORIZED");
  });

  it("a guesser who keeps the back-off running does not keep the admin's own browser out (admin app)", async () => {
    const email = await newAdmin();
    const browser = (cookie?: string) => {
      const c = new TestClient(services, "localhost:3001", "admin");
      if (cookie) c.cookies.set(ADMIN_DEVICE_COOKIE, cookie);
      return c;
    };
    const signIn = (c: TestClient, pw: string) =>
      c
        .call((x) => x.adminAuth.signIn({ email, password: pw }))
        .then(
          () => "ok",
          (e: { cause?: { code?: string } }) => e.cause?.code ?? "?",
        );
    const own = browser();
    expect(await signIn(own, password)).toBe("ok");
    const device = own.cookies.get(ADMIN_DEVICE_COOKIE);
    expect(device).toBeTruthy();

    expect(await signIn(browser(), "guess-1")).toBe("UNAUTHORIZED");
    expect(await signIn(browser(), password)).toBe("RATE_LIMITED"); // held for everyone else
    expect(await signIn(own, password)).toBe("ok"); // not for the admin's own browser
    // A tampered cookie is no pass.
    expect(await signIn(browser(), "guess-2")).toBe("UNAUTHORIZED");
    const tampered = `${device!.slice(0, -1)}${device!.endsWith("A") ? "B" : "A"}`;
    expect(await signIn(browser(tampered), password)).toBe("RATE_LIMITED");
  });
});

describe("super-admin sign-in per client address", () => {
  it("counts every attempt from one address, whatever X-Forwarded-For the client writes; another address is not held", async () => {
    const email = await newAdmin();
    const address = randomIp();
    // Each attempt claims a new forwarded address; the server hands the app the socket's (one address).
    const fromAddress = (i: number) =>
      new TestClient(services, "localhost:3001", "admin", {
        "x-nchat-client-address": address,
        "x-forwarded-for": `203.0.113.${i % 250}`,
      });
    const signIn = (c: TestClient, who: string, pw: string) =>
      c
        .call((x) => x.adminAuth.signIn({ email: who, password: pw }))
        .then(
          () => "ok",
          (e: { cause?: { code?: string } }) => e.cause?.code ?? "?",
        );
    const limit = AUTH_POLICIES.adminLoginPerIp.limit;
    const codes: string[] = [];
    // Unknown accounts: no account back-off, only the address's limit.
    for (let i = 0; i <= limit; i++)
      codes.push(await signIn(fromAddress(i), `guess-${i}@platform.test`, "x"));
    expect(codes.slice(0, limit).every((c) => c === "UNAUTHORIZED")).toBe(true);
    expect(codes[limit]).toBe("RATE_LIMITED");
    // Even the right password is refused from that address now…
    expect(await signIn(fromAddress(limit + 1), email, password)).toBe("RATE_LIMITED");
    // …while the admin, elsewhere, signs in.
    expect(await signIn(new TestClient(services, "localhost:3001", "admin"), email, password)).toBe("ok");
  });
});
