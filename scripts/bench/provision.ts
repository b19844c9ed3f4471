// Provisioning and migrate-all at scale, on a scratch database (DATABASE_URL's server, or embedded).
//   pnpm bench:provision [--tenants 1000] [--concurrency 4]
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import {
  createDatabase,
  type Database,
  migrateAllTenants,
  migratePublic,
  provisionTenant,
  tenantMigrations,
} from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { provisionInput, testMasterKey } from "@nchat/db/testing";
import { bytes, ms, percentile, printTable, type Row } from "./lib/stats";

export async function benchProvision(opts: {
  tenants: number;
  concurrency: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const db: Database = createDatabase({ ...scratch, poolMax: opts.concurrency });
  try {
    await migratePublic(db);
    const sizeBefore = await dbSize(db);
    const classesBefore = await pgClassRows(db);

    const samples: number[] = [];
    let next = 0;
    const started = performance.now();
    const tty = process.stdout.isTTY;
    const worker = async () => {
      while (next < opts.tenants) {
        const i = next++;
        const t0 = performance.now();
        await provisionTenant(db, provisionInput(`bench-${i.toString(36).padStart(4, "0")}`), {
          masterKey: testMasterKey,
        });
        samples.push(performance.now() - t0);
        if (tty && samples.length % 50 === 0)
          process.stdout.write(`\r  provisioned ${samples.length}/${opts.tenants}`);
        else if (!tty && samples.length % 1000 === 0)
          log(`  ${samples.length}/${opts.tenants} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const wall = performance.now() - started;
    if (tty) process.stdout.write("\n");
    log(`provisioned ${opts.tenants} tenants in ${(wall / 1000).toFixed(1)} s`);

    const sizeAfter = await dbSize(db);
    const classesAfter = await pgClassRows(db);

    const onProgress = (p: { done: number; total: number }) => {
      if (p.done % 2000 === 0) log(`  migrate-all ${p.done}/${p.total}`);
    };
    const noop = await migrateAllTenants(db, { concurrency: opts.concurrency, onProgress });
    const text = `ALTER TABLE "tenant_template"."users" ADD COLUMN "bench_note" text;`;
    const migrations = [
      ...tenantMigrations(),
      { name: "bench_note", sql: text, hash: createHash("sha256").update(text).digest("hex") },
    ];
    const apply = await migrateAllTenants(db, { concurrency: opts.concurrency, migrations, onProgress });
    if (noop.failed || apply.failed) throw new Error("migrate-all failed during the benchmark");

    const n = opts.tenants;
    return [
      {
        bench: "provision",
        metric: "per tenant p50",
        value: ms(percentile(samples, 50)),
        note: `concurrency ${opts.concurrency}`,
      },
      { bench: "provision", metric: "per tenant p99", value: ms(percentile(samples, 99)) },
      {
        bench: "provision",
        metric: `${n} tenants, wall`,
        value: `${(wall / 1000).toFixed(1)} s`,
        note: `${(n / (wall / 1000)).toFixed(1)} tenants/s`,
      },
      {
        bench: "migrate-all",
        metric: `${n} tenants, nothing pending`,
        value: `${(noop.ms / 1000).toFixed(2)} s`,
      },
      {
        bench: "migrate-all",
        metric: `${n} tenants, 1 migration each`,
        value: `${(apply.ms / 1000).toFixed(2)} s`,
        note: `${ms(apply.ms / n)} per tenant`,
      },
      {
        bench: "storage",
        metric: "pg_database_size per tenant",
        value: bytes((sizeAfter - sizeBefore) / n),
        note: "empty tenant",
      },
      {
        bench: "storage",
        metric: "pg_class rows per tenant",
        value: ((classesAfter - classesBefore) / n).toFixed(0),
        note: "tables, indexes, sequences, types",
      },
    ];
  } finally {
    await db.close();
    await scratch.drop();
  }
}

async function dbSize(db: Database): Promise<number> {
  const [r] = await db.admin<{ size: string }[]>`select pg_database_size(current_database()) as size`;
  return Number(r!.size);
}

async function pgClassRows(db: Database): Promise<number> {
  const [r] = await db.admin<{ n: number }[]>`select count(*)::int as n from pg_class`;
  return r!.n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { tenants: { type: "string", default: "1000" }, concurrency: { type: "string", default: "4" } },
  });
  const rows = await benchProvision({
    tenants: Number(values.tenants),
    concurrency: Number(values.concurrency),
    log: console.log,
  });
  printTable(
    `Provisioning (${process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL"})`,
    rows,
  );
}
