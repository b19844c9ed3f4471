import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { describe, expect, inject, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { PgPubSub, RedisPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantService } from "../tenants/tenant-service";
import type { ResolverStats } from "./resolver";
import { create, resolverKit, resolverWith } from "./test-kit";

/** Two processes: invalidations over LISTEN/NOTIFY or Redis pub/sub, and names that arrive without one. */

const { db, redisUrl, cleanups } = resolverKit();

const childScript = fileURLToPath(new URL("./resolver-child.ts", import.meta.url));

/** A resolver in another OS process, driven over stdin/stdout. */
async function childResolver(pubsub: "pg" | "redis", known?: { refreshMs?: number; refreshBurst?: number }) {
  const cfg = inject("testDb");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, RESOLVER_CHILD_CONFIG: JSON.stringify({ ...cfg, redisUrl, pubsub, known }) },
  });
  cleanups.push(() => void child.kill());
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  expect(await next()).toEqual({ ready: true });
  let seq = 0;
  return {
    async resolve(slug: string) {
      child.stdin.write(`${++seq} ${slug}\n`);
      return (await next()) as { name: string | null; stats: ResolverStats };
    },
  };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const PUBSUB_MODES: ["PostgreSQL LISTEN/NOTIFY" | "Redis pub/sub", "pg" | "redis"][] = [
  ["PostgreSQL LISTEN/NOTIFY", "pg"],
  ...(redisUrl ? [["Redis pub/sub", "redis"] as ["Redis pub/sub", "redis"]] : []),
];

/** This process's pub/sub of the mode (closed after the file's tests). */
async function pubsubOf(mode: "pg" | "redis") {
  const publisher = mode === "redis" ? createRedis(redisUrl!) : null;
  if (publisher) await redisReady(publisher);
  const pubsub = publisher ? new RedisPubSub(publisher) : new PgPubSub(db);
  cleanups.push(() => publisher?.disconnect());
  cleanups.push(() => pubsub.close());
  return pubsub;
}

describe.each(PUBSUB_MODES)("invalidation across processes via %s", (_name, mode) => {
  it("an update in this process is seen by the other process's cache", async () => {
    const t = await create();
    const pubsub = await pubsubOf(mode);
    const here = await resolverWith({ redis: mode === "redis", pubsub });
    const service = new TenantService({
      db,
      masterKey: testMasterKey,
      onTenantChanged: (c) => here.invalidate({ slug: c.slug }),
    });
    const other = await childResolver(mode);
    expect((await other.resolve(t.slug)).name).toBe(t.name);
    expect((await other.resolve(t.slug)).stats.local).toBe(1); // cached there (10-minute TTL)

    await service.updateTenant(t.id, { name: "Renamed Everywhere" }, { type: "super_admin", id: "sa" });
    const seen = await eventually(
      () => other.resolve(t.slug),
      (r) => r.name === "Renamed Everywhere",
    );
    expect(seen.name).toBe("Renamed Everywhere");

    await service.deleteTenant(t.id, { type: "super_admin", id: "sa" });
    const gone = await eventually(
      () => here.bySlug(t.slug),
      (r) => r?.status === "deleted",
    );
    expect(gone?.status).toBe("deleted");
  });

  it("a tenant created here resolves in the other process: at once when invalidated, within the refresh interval when not", async () => {
    const pubsub = await pubsubOf(mode);
    const here = await resolverWith({ redis: mode === "redis", pubsub });
    // One refresh per second, no burst: only the invalidation can make the first lookup succeed.
    const refreshMs = 1_000;
    const other = await childResolver(mode, { refreshMs, refreshBurst: 1 });
    const initial = (await other.resolve(uniqueSlug("none"))).stats; // spends the one refresh

    // Through the invalidation channel: the new slug joins the other process's set.
    const announced = await new TenantService({
      db,
      masterKey: testMasterKey,
      onTenantChanged: (c) => here.invalidate({ slug: c.slug }),
    }).createTenant(
      {
        name: "Announced",
        slug: uniqueSlug("ann"),
        ownerEmail: "o@x.test",
        ownerName: "O",
        ownerPassword: "0123456789ab",
      },
      SYSTEM,
    );
    const seen = await eventually(
      () => other.resolve(announced.tenant.slug),
      (r) => r.name === "Announced",
      refreshMs / 2, // well before a refresh could find it
    );
    expect(seen.name).toBe("Announced");
    expect(seen.stats.knownQueries).toBe(initial.knownQueries); // no refresh found it

    // Without any invalidation (lost, or created by a process without pub/sub).
    const silent = (await create()).slug;
    const started = Date.now();
    const found = await eventually(
      () => other.resolve(silent),
      (r) => r.name !== null,
      refreshMs + 3_000,
    );
    expect(found.name).toBe(`Name of ${silent}`);
    expect(Date.now() - started).toBeLessThan(refreshMs + 1_500);
    expect(found.stats.knownQueries).toBeGreaterThan(initial.knownQueries); // a refresh found it
  });
});
