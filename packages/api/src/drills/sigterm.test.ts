import { describe, expect, it } from "vitest";
import { expectNothingAcknowledgedLost, loadDrill } from "./load-drill";

describe("drill: SIGTERM to one app server under load (pnpm load --drill sigterm)", () => {
  it("it drains and exits 0 with its usage flushed; its event streams resume on the other process and miss nothing", {
    timeout: 150_000,
  }, async () => {
    const f = await loadDrill("sigterm");
    // Includes: usage messages_sent = acknowledged sends, with the signalled process's counts.
    expectNothingAcknowledgedLost(f);
    const d = f.drill!;
    expect(d.victimExitCode).toBe(0);
    expect(d.victimAcked).toBeGreaterThan(0);
    expect(f.streams.reconnects).toBeGreaterThan(0); // its streams ended and came back elsewhere
    // Taken out of the balancer first, then signalled: no request failed.
    expect(f.errors).toBe(0);
    expect(f.sends.failed + f.reads.failed).toBe(0);
  });
});
