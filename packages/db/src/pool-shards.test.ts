import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, type Sql, shardOf } from "./client";
import { provisionTenant } from "./provision";
import { tenants } from "./public";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withPlatformAdmin, withTenant } from "./with-tenant";

const SHARDS = 4;
const db = testDatabase({ poolMax: 8, poolShards: SHARDS }); // 4 tenant pools of 2, and `app` of 2
/** A superuser connection outside the pools under test, to watch their backends. */
let observer: Sql;
/** Tenants covering at least 3 shards, 2 of them on one shard. */
const ts: TenantRef[] = [];

/** Backend pids that ran `n` concurrent units of work of tenant `t` (each holds its connection a bit). */
async function tenantPids(t: TenantRef, n = 8): Promise<Set<number>> {
  const pids = await Promise.all(
    Array.from({ length: n }, () =>
      withTenant(db, t, async ({ db: tx }) => {
        const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid, pg_sleep(0.02)`);
        return Number(row!.pid);
      }),
    ),
  );
  return new Set(pids);
}

/** Backend pids of one app pool (enough concurrent queries to open all of its connections). */
async function poolPids(pool: Sql): Promise<Set<number>> {
  const rows = await Promise.all(
    Array.from({ length: 8 }, () => pool<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.02)`),
  );
  return new Set(rows.map(([r]) => r!.pid));
}

beforeAll(async () => {
  observer = connect(inject("testDb").adminUrl, { max: 1, name: "nchat-observer" });
  const shardsSeen = new Map<number, number>();
  while (ts.length < 12 && (shardsSeen.size < 3 || ![...shardsSeen.values()].some((n) => n >= 2))) {
    const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("shard")), {
      masterKey: testMasterKey,
    });
    ts.push(tenant);
    const s = shardOf(tenant.id, SHARDS);
    shardsSeen.set(s, (shardsSeen.get(s) ?? 0) + 1);
  }
  expect(shardsSeen.size).toBeGreaterThanOrEqual(3);
});
afterAll(async () => {
  await db.close(); // no-op when the close() test ran
  await observer.end();
});

describe("shardOf", () => {
  it("is deterministic, in range, and spreads uuids evenly", () => {
    const id = "0b9f0f3e-5a53-4c6e-9d0e-6b8f8f2a1c11";
    expect(shardOf(id, 4)).toBe(shardOf(id, 4));
    expect(shardOf(id, 1)).toBe(0);
    // Pinned (FNV-1a 32 = 2232487429): the same id maps to the same shard in every process and release.
    expect([2, 3, 4, 8].map((n) => shardOf(id, n))).toEqual([1, 1, 1, 5]);
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(randomUUID(), 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850); // 1000 expected each
  });
});

describe("tenant-affine app pools (4 shards of 2 connections)", () => {
  it("splits the pool into shards, and keeps `app` apart from them", () => {
    expect(db.appPools).toHaveLength(SHARDS);
    expect(db.appPools).not.toContain(db.app);
    expect(db.appDbFor(ts[0]!.id)).toBe(db.appDbFor(ts[0]!.id));
  });

  it("runs every unit of work of a tenant on the backends of its shard only", async () => {
    const shardPids = await Promise.all(db.appPools.map(poolPids));
    for (const pids of shardPids) expect(pids.size).toBe(2); // max = ceil(8 / 4)
    for (const t of ts) {
      const pids = await tenantPids(t);
      const own = shardPids[shardOf(t.id, SHARDS)]!;
      expect(
        [...pids].every((p) => own.has(p)),
        `tenant ${t.id} left its shard`,
      ).toBe(true);
    }
  });

  it("spreads tenants over shards: tenants of different shards share no backend", async () => {
    const byTenant = await Promise.all(
      ts.map(async (t) => ({ shard: shardOf(t.id, SHARDS), pids: await tenantPids(t) })),
    );
    expect(new Set(byTenant.map((t) => t.shard)).size).toBeGreaterThanOrEqual(3);
    for (const x of byTenant)
      for (const y of byTenant) {
        const shared = [...x.pids].some((p) => y.pids.has(p));
        expect(shared).toBe(x.shard === y.shard);
      }
    const all = new Set(byTenant.flatMap((t) => [...t.pids]));
    expect(all.size).toBeLessThanOrEqual(8);
  });

  it("keeps isolation across shards: no tenant reads another's schema", async () => {
    const other = ts.find((t) => shardOf(t.id, SHARDS) !== shardOf(ts[0]!.id, SHARDS))!;
    for (const [self, victim] of [
      [ts[0]!, other],
      [other, ts[0]!],
    ] as const) {
      const own = await withTenant(db, self, ({ db: tx, t }) => tx.select().from(t.users));
      expect(own).toHaveLength(1);
      await expect(
        withTenant(db, self, ({ db: tx }) =>
          tx.execute(sql.raw(`select * from "${victim.schemaName}".users`)),
        ),
      ).rejects.toMatchObject({ cause: { code: "42501" } });
    }
  });

  it("runs platform-admin work on `app`, off the tenant shards, and sees every tenant", async () => {
    const shared = await poolPids(db.app);
    const shardPids = await Promise.all(db.appPools.map(poolPids));
    const { ids, pid } = await withPlatformAdmin(db, async (tx) => ({
      ids: (await tx.select({ id: tenants.id }).from(tenants)).map((t) => t.id),
      pid: Number((await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`))[0]!.pid),
    }));
    expect(ids).toEqual(expect.arrayContaining(ts.map((t) => t.id)));
    expect(shared.has(pid)).toBe(true);
    for (const pids of shardPids) expect(pids.has(pid)).toBe(false);
  });

  it("close() ends the backends of every pool", async () => {
    const pids = (await Promise.all([db.app, ...db.appPools].map(poolPids))).flatMap((s) => [...s]);
    expect(pids).toHaveLength(10); // 4 shards × 2 + app's 2
    await db.close();
    let alive = pids.length;
    for (let i = 0; i < 50 && alive > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const [row] = await observer<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where pid = any(${pids})`;
      alive = row!.n;
    }
    expect(alive).toBe(0);
    await expect(withTenant(db, ts[1]!, ({ db: tx }) => tx.execute(sql`select 1`))).rejects.toThrow();
  });
});
