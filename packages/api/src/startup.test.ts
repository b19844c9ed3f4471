import { billingMode, DEV_APP_PASSWORD, loadEnv } from "@nchat/config";
import { describe, expect, it } from "vitest";
import { billingConfig } from "./billing/config";
import { testServices } from "./testing";

/** What a production process refuses to start with, and what development keeps doing. */
describe("production refuses unsafe configuration", () => {
  it("refuses to start without BILLING_MODE (offline billing is never the silent default)", async () => {
    await expect(testServices({ NODE_ENV: "production" })).rejects.toThrow(/BILLING_MODE is not set/);
  });

  it("refuses the development DATABASE_APP_PASSWORD", async () => {
    await expect(
      testServices({
        NODE_ENV: "production",
        BILLING_MODE: "offline",
        DATABASE_APP_PASSWORD: DEV_APP_PASSWORD,
      }),
    ).rejects.toThrow(/DATABASE_APP_PASSWORD is the development default/);
  });

  it("refuses a missing MASTER_ENCRYPTION_KEY", async () => {
    await expect(
      testServices({ NODE_ENV: "production", BILLING_MODE: "offline", MASTER_ENCRYPTION_KEY: "" }),
    ).rejects.toThrow(/MASTER_ENCRYPTION_KEY is not set/);
  });

  it("refuses BILLING_MODE=stripe without a key", async () => {
    await expect(testServices({ NODE_ENV: "production", BILLING_MODE: "stripe" })).rejects.toThrow(
      /BILLING_MODE=stripe needs STRIPE_SECRET_KEY/,
    );
  });

  it("refuses WEBHOOKS_ALLOW_LOOPBACK (webhooks reaching the platform's own host)", async () => {
    await expect(
      testServices({ NODE_ENV: "production", BILLING_MODE: "offline", WEBHOOKS_ALLOW_LOOPBACK: "true" }),
    ).rejects.toThrow(/WEBHOOKS_ALLOW_LOOPBACK is for tests and development/);
    expect(loadEnv({ WEBHOOKS_ALLOW_LOOPBACK: "true" }).WEBHOOKS_ALLOW_LOOPBACK).toBe(true);
  });

  it("starts with real secrets and an explicit billing mode", async () => {
    const services = await testServices({ NODE_ENV: "production", BILLING_MODE: "offline" });
    try {
      expect(services.billing.stripe).toBeNull();
    } finally {
      await services.close();
    }
  });

  it("names every problem at once, in the environment's validation", () => {
    const refused = () => loadEnv({ NODE_ENV: "production" });
    expect(refused).toThrow(/DATABASE_URL is not set/);
    expect(refused).toThrow(/MASTER_ENCRYPTION_KEY is not set/);
    expect(refused).toThrow(/DATABASE_APP_PASSWORD is the development default/);
    expect(refused).toThrow(/BILLING_MODE is not set/);
  });

  it("`next build` (NODE_ENV=production, serving nothing) is not held to them", () => {
    expect(() => loadEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" })).not.toThrow();
    // …but a contradiction is still one.
    expect(() =>
      loadEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build", BILLING_MODE: "stripe" }),
    ).toThrow(/BILLING_MODE=stripe needs STRIPE_SECRET_KEY/);
  });
});

describe("outside production", () => {
  it("with no environment at all (pnpm dev), billing is offline and nothing is refused", () => {
    const env = loadEnv({});
    expect(billingMode(env)).toBe("offline");
    expect(billingConfig(env).stripe).toBeNull();
  });

  it("a Stripe key means Stripe unless BILLING_MODE says otherwise (then it is a contradiction)", () => {
    expect(billingMode(loadEnv({ STRIPE_SECRET_KEY: "sk_test_x" }))).toBe("stripe");
    expect(() => loadEnv({ STRIPE_SECRET_KEY: "sk_test_x", BILLING_MODE: "offline" })).toThrow(
      /BILLING_MODE=offline but STRIPE_SECRET_KEY is set/,
    );
  });
});

describe("transaction pooling configuration", () => {
  it("refuses to LISTEN through the transaction pool the app role uses", async () => {
    const pool = "postgres://app:pw@pooler.internal:6432/nchat";
    await expect(
      testServices({
        DATABASE_APP_URL: pool,
        DATABASE_APP_POOL_MODE: "transaction",
        DATABASE_LISTEN_URL: pool,
      }),
    ).rejects.toThrow(/DATABASE_LISTEN_URL must not be the transaction pool/);
    // The same pooler written another way (other credentials or database, localhost for 127.0.0.1).
    await expect(
      testServices({
        DATABASE_APP_URL: "postgres://app:pw@127.0.0.1:6432/nchat",
        DATABASE_APP_POOL_MODE: "transaction",
        DATABASE_LISTEN_URL: "postgres://listener:other@localhost:6432/postgres",
      }),
    ).rejects.toThrow(/DATABASE_LISTEN_URL must not be the transaction pool/);
  });
});
