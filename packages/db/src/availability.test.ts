import { describe, expect, it } from "vitest";
import { DatabaseAvailability, DatabaseUnavailableError, type WorkTicket } from "./availability";

const refused = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

/** A unit of work that waits for a connection until `connect()` is called. */
function waitingWork() {
  let connect!: () => void;
  let claimed: boolean | undefined;
  const connected = new Promise<void>((r) => {
    connect = r;
  });
  const fn = async (ticket: WorkTicket) => {
    await connected;
    claimed = ticket.claim();
    if (!claimed) throw new DatabaseUnavailableError("down", 1);
    return "done";
  };
  return { fn, connect, claimed: () => claimed };
}

async function until(ok: () => boolean) {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!ok()) throw new Error("condition not reached");
}

describe("DatabaseAvailability", () => {
  it("fails fast once the server is unreachable, lets one probe through per interval, and recovers", async () => {
    let now = 0;
    const a = new DatabaseAvailability({ maxInFlight: 10, probeIntervalMs: 1_000, now: () => now });
    await expect(a.run(async () => Promise.reject(refused()))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect(a.up).toBe(false);
    let ran = 0;
    await expect(a.run(async () => void ran++)).rejects.toMatchObject({
      reason: "down",
      retryAfterSeconds: 1,
    });
    expect(ran).toBe(0);
    now = 1_000; // the probe: it succeeds, so the database is up again
    await a.run(async () => void ran++);
    expect(ran).toBe(1);
    expect(a.up).toBe(true);
    expect(a.stats()).toMatchObject({ outages: 1, refusedDown: 1 });
  });

  it("a connection attempt that fails while other work gets answers is tried once more, and never marks it down", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    const timedOut = () => Object.assign(new Error("timeout"), { code: "CONNECT_TIMEOUT" });
    const attempts: Array<(outcome: "fail" | "connect") => void> = [];
    const work = (ticket: WorkTicket) =>
      new Promise<string>((resolve, reject) => {
        attempts.push((outcome) =>
          outcome === "fail" ? reject(timedOut()) : resolve(String(ticket.claim())),
        );
      });
    const settle = (i: number, outcome: "fail" | "connect") => {
      const attempt = attempts[i];
      if (!attempt) throw new Error(`attempt ${i} was not made`);
      attempt(outcome);
    };
    const slow = a.run(work);
    await a.run(async () => "answered meanwhile");
    settle(0, "fail");
    await until(() => attempts.length === 2); // tried again: nothing of it ran (never claimed)
    settle(1, "connect");
    await expect(slow).resolves.toBe("true");
    expect(a.stats()).toMatchObject({ connectRetries: 1, outages: 0 });

    // Once only: a second failed connect fails this unit (503) — the database stays up for the rest.
    const twice = a.run(work);
    await a.run(async () => "answered meanwhile");
    settle(2, "fail");
    await until(() => attempts.length === 4);
    settle(3, "fail");
    await expect(twice).rejects.toMatchObject({ reason: "down" });
    expect(a.up).toBe(true);
    await expect(a.run(async () => "next")).resolves.toBe("next");
  });

  it("a failed connect with no answer from the server since is not retried: the database is down", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    let calls = 0;
    await expect(
      a.run(async () => {
        calls++;
        throw Object.assign(new Error("timeout"), { code: "CONNECT_TIMEOUT" });
      }),
    ).rejects.toMatchObject({ reason: "down" });
    expect(calls).toBe(1);
    expect(a.up).toBe(false);
    expect(a.stats().connectRetries).toBe(0);
  });

  it("work that failed after it began is never tried again, whatever the error", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    let calls = 0;
    const begun = a.run(async (ticket) => {
      calls++;
      ticket.claim();
      await a.run(async () => "answered meanwhile");
      throw Object.assign(new Error("lost"), { code: "ECONNREFUSED" });
    });
    await expect(begun).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(calls).toBe(1);
  });

  it("a server without a free connection slot is busy, not down: that unit fails, the rest go on", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    const full = Object.assign(new Error("remaining connection slots are reserved"), { code: "53300" });
    await expect(a.run(async () => Promise.reject(full))).rejects.toMatchObject({
      reason: "busy",
      retryAfterSeconds: 1,
    });
    expect(a.up).toBe(true);
    await expect(a.run(async () => "next")).resolves.toBe("next");
    expect(a.stats()).toMatchObject({ outages: 0, refusedBusy: 1 });
  });

  it("an answer from the server, even an error, proves it is reachable", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    const syntax = Object.assign(new Error("syntax error"), { code: "42601" });
    await expect(a.run(async () => Promise.reject(syntax))).rejects.toBe(syntax);
    expect(a.up).toBe(true);
  });

  it("abandons work still waiting for a connection when the server goes away; it never runs later", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    const waiting = waitingWork();
    const result = a.run(waiting.fn);
    await expect(a.run(async () => Promise.reject(refused()))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    await expect(result).rejects.toMatchObject({ reason: "down" });
    waiting.connect(); // postgres.js hands it a connection after all
    await new Promise((r) => setTimeout(r, 0));
    expect(waiting.claimed()).toBe(false);
  });

  it("work that has begun is not abandoned: its outcome is the caller's", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 10 });
    let release!: () => void;
    const begun = a.run(async (ticket) => {
      expect(ticket.claim()).toBe(true);
      await new Promise<void>((r) => {
        release = r;
      });
      return "committed";
    });
    await expect(a.run(async () => Promise.reject(refused()))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    release();
    await expect(begun).resolves.toBe("committed");
  });

  it("bounds the work in flight and the wait for a connection", async () => {
    const a = new DatabaseAvailability({ maxInFlight: 2, maxWaitMs: 20 });
    const w1 = waitingWork();
    const w2 = waitingWork();
    const r1 = a.run(w1.fn);
    const r2 = a.run(w2.fn);
    await expect(a.run(async () => "third")).rejects.toMatchObject({ reason: "busy" });
    await expect(r1).rejects.toMatchObject({ reason: "busy" }); // waited longer than maxWaitMs
    await expect(r2).rejects.toMatchObject({ reason: "busy" });
    w1.connect();
    w2.connect();
    await new Promise((r) => setTimeout(r, 0));
    expect([w1.claimed(), w2.claimed()]).toEqual([false, false]);
    expect(a.stats()).toMatchObject({ inFlight: 0, refusedBusy: 3 });
    await expect(a.run(async () => "fine")).resolves.toBe("fine");
  });
});
