import postgres from "postgres";
import { describe, expect, it, vi } from "vitest";
import { TenantPools } from "./tenant-pools";

/**
 * The bookkeeping of per-tenant pools: how many are open, which one goes, who waits. The pools are
 * real postgres.js pools that never connect (postgres.js connects on the first query), so what is
 * checked is which pools are opened and ended.
 */
function pools(maxPools: number) {
  const ended: string[] = [];
  const opened: string[] = [];
  const tp = new TenantPools<string>({
    maxPools,
    open(role) {
      opened.push(role);
      const sql = postgres("postgres://127.0.0.1:1/never", { max: 1 });
      const end = sql.end.bind(sql);
      vi.spyOn(sql, "end").mockImplementation((opts) => {
        ended.push(role);
        return end(opts);
      });
      return { sql, db: role };
    },
  });
  return { tp, ended, opened };
}

/** A unit of work that holds its tenant's pool until `release()`. */
function hold(tp: TenantPools<string>, role: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const done = tp.run(role, async (db) => {
    await gate;
    return db;
  });
  return { release, done };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe("tenant pools", () => {
  it("runs each tenant's work on that tenant's pool, opening it once", async () => {
    const { tp, opened } = pools(3);
    expect(await tp.run("t_a", async (db) => db)).toBe("t_a");
    expect(await tp.run("t_a", async (db) => db)).toBe("t_a");
    expect(await tp.run("t_b", async (db) => db)).toBe("t_b");
    expect(opened).toEqual(["t_a", "t_b"]);
    expect(tp.stats()).toMatchObject({ pools: 2, opened: 2, evicted: 0, busyPools: 0 });
    await tp.close();
  });

  it("keeps at most maxPools open: a new tenant takes the least recently used idle tenant's pool", async () => {
    const { tp, ended } = pools(2);
    await tp.run("t_a", async () => {});
    await tp.run("t_b", async () => {});
    await tp.run("t_a", async () => {}); // a is now more recent than b
    await tp.run("t_c", async () => {});
    expect(ended).toEqual(["t_b"]);
    expect(tp.stats()).toMatchObject({ pools: 2, opened: 3, evicted: 1 });
    await tp.close();
  });

  it("never takes a pool with work running: when every pool is busy, a new tenant waits for one", async () => {
    const { tp, ended } = pools(2);
    const a = hold(tp, "t_a");
    const b = hold(tp, "t_b");
    let cDone = false;
    const c = tp
      .run("t_c", async (db) => db)
      .then((db) => {
        cDone = true;
        return db;
      });
    await tick();
    expect(cDone).toBe(false);
    expect(tp.stats()).toMatchObject({ pools: 2, busyPools: 2, waiting: 1 });
    expect(ended).toEqual([]);

    b.release();
    expect(await b.done).toBe("t_b");
    expect(await c).toBe("t_c");
    expect(ended).toEqual(["t_b"]); // b's pool went, a's (busy) stayed
    a.release();
    expect(await a.done).toBe("t_a");
    await tp.close();
  });

  it("a second unit of the same busy tenant shares its pool instead of waiting", async () => {
    const { tp, opened } = pools(1);
    const first = hold(tp, "t_a");
    expect(await tp.run("t_a", async (db) => db)).toBe("t_a");
    first.release();
    await first.done;
    expect(opened).toEqual(["t_a"]);
    await tp.close();
  });

  it("close ends every pool and refuses the work still waiting", async () => {
    const { tp, ended } = pools(1);
    const a = hold(tp, "t_a");
    const waiting = tp.run("t_b", async () => "never");
    await tick();
    await tp.close();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(ended).toEqual(["t_a"]);
    a.release();
    await a.done;
    await expect(tp.run("t_c", async () => {})).rejects.toThrow(/closed/);
  });
});
