import { expect } from "vitest";
// The load test itself (`pnpm load --drill …`): real app server processes over loopback HTTP.
import { type Drill, type LoadFigures, type LoadOptions, runLoad } from "../../../../scripts/load/run";

/**
 * Runs a short `pnpm load --drill <drill>`: a few tenants, two app server processes, each user on
 * an event stream, the fault a third into the run. Prints the report; returns what it measured.
 */
export async function loadDrill(drill: Drill, opts: Partial<LoadOptions> = {}): Promise<LoadFigures> {
  const { rows, figures, failures } = await runLoad({
    tenants: 4,
    users: 2,
    durationS: 24,
    concurrency: 6,
    processes: 2,
    outageS: 6,
    drill,
    ...opts,
  });
  console.log(
    `drill ${drill}:\n${rows
      .filter((r) => !r.metric.startsWith("CPU"))
      .map((r) => `  ${r.metric}: ${r.value} — ${r.note ?? ""}`)
      .join("\n")}${failures.length ? `\n  checks that failed: ${failures.join("; ")}` : ""}`,
  );
  return figures;
}

/**
 * What every drill must show: every acknowledged send stored exactly once in its own tenant, nothing
 * else stored, usage equal to the acknowledged sends (and endpoint counts within [acknowledged,
 * made]) after every app server exited cleanly, every stream complete.
 */
export function expectNothingAcknowledgedLost(f: LoadFigures): void {
  expect(f.sends.acked).toBeGreaterThan(0);
  expect({
    lost: f.lost,
    duplicated: f.duplicated,
    foreign: f.foreign,
    unexpected: f.unexpected,
    usageTenantsOff: f.usage.tenantsOff,
    messagesSent: f.usage.messagesSent,
    endpointCallsOutOfBounds: f.usage.callsOutOfBounds,
    exitCodes: f.exitCodes.filter((c) => c !== 0),
    streamsMissing: f.streams.missing,
    streamsDuplicated: f.streams.duplicated,
    streamsForeign: f.streams.foreign,
  }).toEqual({
    lost: 0,
    duplicated: 0,
    foreign: 0,
    unexpected: 0,
    usageTenantsOff: [],
    messagesSent: f.sends.acked,
    endpointCallsOutOfBounds: [],
    exitCodes: [],
    streamsMissing: 0,
    streamsDuplicated: 0,
    streamsForeign: 0,
  });
}
