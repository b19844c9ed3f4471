import { describe, expect, it } from "vitest";
import { expectNothingAcknowledgedLost, loadDrill } from "./load-drill";

describe("drill: PostgreSQL restarted under load (pnpm load --drill pg-restart)", () => {
  it("the app servers keep running and recover by themselves; every acknowledged send is stored once and counted in usage", {
    timeout: 150_000,
  }, async () => {
    const f = await loadDrill("pg-restart");
    expectNothingAcknowledgedLost(f);
    // No failure outside the restart and the 5 s after it, but a retryable 503 + Retry-After.
    expect(f.errors).toBe(0);
    expect(f.drill?.name).toBe("pg-restart");
    // Requests that began while the server was down were refused with 503 + Retry-After.
    expect(f.drill?.not503).toBe(0);
    // No app restart: sends succeed again after the server is back.
    expect(f.drill?.recoverS).not.toBeNull();
  });
});
