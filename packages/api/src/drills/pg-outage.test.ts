import { describe, expect, it } from "vitest";
import { expectNothingAcknowledgedLost, loadDrill } from "./load-drill";

describe("drill: PostgreSQL stopped under load (pnpm load --drill pg-outage)", () => {
  it("503 + Retry-After while it is down, recovery without an app restart, usage flushed after; nothing acknowledged lost", {
    timeout: 150_000,
  }, async () => {
    const f = await loadDrill("pg-outage", { outageS: 6 });
    expectNothingAcknowledgedLost(f);
    expect(f.errors).toBe(0);
    const d = f.drill!;
    expect(d.name).toBe("pg-outage");
    // Requests failed while it was down, every one that began then with 503 + Retry-After.
    const failedDuring = Object.values(d.errorsDuring).reduce((a, b) => a + b, 0);
    expect(failedDuring).toBeGreaterThan(0);
    expect(d.not503).toBe(0);
    expect(Object.keys(d.errorsDuring).some((k) => k.endsWith("503 (Retry-After)"))).toBe(true);
    expect(d.recoverS).not.toBeNull();
    // The failed sends are counted apart; the usage of the acknowledged ones was flushed after the outage.
    expect(f.sends.failed).toBeGreaterThan(0);
  });
});
