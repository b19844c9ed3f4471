import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, createDatabase, type Database, throughPooler } from "./client";
import { provisionTenant } from "./provision";
import { provisionInput, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withTenant } from "./with-tenant";

/**
 * The app role through a pooler in transaction mode (PgBouncer `pool_mode=transaction`), the way
 * `.env.example` suggests deploying. CI starts one (scripts/ci/pgbouncer.sh) and names it in
 * TEST_TRANSACTION_POOLER; the whole suite also runs once with the app role behind it.
 */
const pooler = process.env.TEST_TRANSACTION_POOLER;
const cfg = inject("testDb");

describe.skipIf(!pooler)("through a transaction pooler", () => {
  let db: Database;
  let tenant: TenantRef;
  beforeAll(async () => {
    db = createDatabase({
      ...cfg,
      appUrl: throughPooler(cfg.adminUrl, pooler!, {
        user: `${cfg.rolePrefix}_app`,
        password: cfg.appPassword,
      }),
      appPoolMode: "transaction",
      poolMax: 8,
      maxInFlight: 1_000, // all 300 writes below at once: the pooler is the subject, not the bound
    });
    ({ tenant } = await provisionTenant(db, provisionInput(uniqueSlug("pool")), {
      masterKey: testMasterKey,
    }));
  });
  afterAll(() => db?.close());

  it("a transaction PostgreSQL rolled back is an error, never an acknowledgement (prepared statements on)", async () => {
    // The misconfiguration of the first wave: named statements through a transaction pool. A Bind of
    // a statement prepared on another backend aborts the transaction; the retried COMMIT is answered
    // with ROLLBACK. Whatever else goes wrong, an acknowledged commit must be a stored row.
    const table = `pool_probe_${uniqueSlug("p").replaceAll("-", "_")}`;
    const direct = connect(cfg.adminUrl, { max: 1 });
    const viaPool = connect(throughPooler(cfg.adminUrl, pooler!), { max: 8, prepare: true });
    try {
      await direct.unsafe(`create table ${table} (id int primary key)`);
      let acknowledged = 0;
      await Promise.all(
        Array.from({ length: 400 }, (_, id) =>
          viaPool
            .begin(async (tx) => {
              await tx`select ${id}::int as warm`;
              await tx.unsafe(`insert into ${table} (id) values ($1)`, [id]);
            })
            .then(
              () => void acknowledged++,
              () => {},
            ),
        ),
      );
      const [row] = await direct.unsafe<{ stored: number }[]>(`select count(*)::int as stored from ${table}`);
      const stored = row?.stored;
      expect(acknowledged).toBe(stored);
    } finally {
      await direct.unsafe(`drop table if exists ${table}`);
      await Promise.all([direct.end(), viaPool.end()]);
    }
  });

  it("stores every acknowledged tenant write in transaction mode (no prepared statements)", async () => {
    const t = `"${tenant.schemaName}"`;
    const n = 300;
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        withTenant(db, tenant, async ({ db: tx }) => {
          const [ch] = await tx.execute<{ id: string }>(sql.raw(`select id from ${t}.channels limit 1`));
          await tx.execute(
            sql.raw(
              `insert into ${t}.messages (channel_id, user_id, body) select '${ch!.id}', id, 'pool ${i}' from ${t}.users limit 1`,
            ),
          );
        }),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.map((r) => (r as PromiseRejectedResult).reason?.message)).toEqual([]);
    const [row] = await db.admin.unsafe<{ stored: number }[]>(
      `select count(*)::int as stored from ${t}.messages where body like 'pool %'`,
    );
    const stored = row?.stored;
    expect(stored).toBe(n);
  });

  it("listens for notifications on a direct connection, never through the pool", async () => {
    const got = new Promise<string>((resolve) => {
      void db.listener.listen("nchat_pool_probe", resolve);
    });
    await new Promise((r) => setTimeout(r, 100));
    await db.app`select pg_notify('nchat_pool_probe', 'hello')`;
    expect(await got).toBe("hello");
    // The listening connection goes to the server itself (DATABASE_URL's host), not to the pooler.
    expect(db.listener.options.port).not.toContain(Number(new URL(pooler!).port));
  });
});
