/** Helpers for the resolver tests (real database, Redis when the run has one; *.test.ts only). */
import type { Database } from "@nchat/db";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, inject } from "vitest";
import { SYSTEM } from "../audit/actor";
import { LocalPubSub, type PubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantService } from "../tenants/tenant-service";
import { TenantResolver } from "./resolver";

let db: Database;
let redisUrl: string | null;
let namespace: string;
let tenants: TenantService;
let cleanups: (() => Promise<void> | void)[];

/**
 * The run's database, Redis URL and key namespace for this test file, and its clean-ups (run last,
 * newest first, then the database closes).
 */
export function resolverKit() {
  db = testDatabase();
  redisUrl = inject("redisUrl");
  namespace = inject("testDb").rolePrefix;
  tenants = new TenantService({ db, masterKey: testMasterKey });
  cleanups = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await db.close();
  });
  return { db, redisUrl, namespace, cleanups };
}

export const create = async (slug = uniqueSlug("res")) =>
  (
    await tenants.createTenant(
      {
        name: `Name of ${slug}`,
        slug,
        ownerEmail: "o@x.test",
        ownerName: "O",
        ownerPassword: "0123456789ab",
      },
      SYSTEM,
    )
  ).tenant;

export type ResolverOptions = ConstructorParameters<typeof TenantResolver>[0];

export async function resolverWith(
  opts: {
    redis?: boolean;
    pubsub?: PubSub;
    db?: ResolverOptions["db"];
    known?: ResolverOptions["known"];
    clock?: () => number;
  } = {},
) {
  const redis = opts.redis && redisUrl ? createRedis(redisUrl) : null;
  if (redis) await redisReady(redis);
  const pubsub = opts.pubsub ?? new LocalPubSub();
  const r = await new TenantResolver({
    db: opts.db ?? db,
    redis,
    pubsub,
    namespace,
    known: opts.known,
    clock: opts.clock,
  }).start();
  cleanups.push(async () => {
    await r.stop();
    redis?.disconnect();
  });
  return r;
}

export /** `database` with every unit of work counted (the resolver's lookups and its reads of names). */
function counting(database: Database) {
  let queries = 0;
  const availability = new Proxy(database.availability, {
    get: (target, prop) =>
      prop === "run"
        ? (((work: Parameters<typeof target.run>[0]) => {
            queries++;
            return target.run(work);
          }) as typeof target.run)
        : Reflect.get(target, prop),
  });
  const db = new Proxy(database, {
    get: (target, prop) => (prop === "availability" ? availability : Reflect.get(target, prop)),
  });
  return {
    db,
    get queries() {
      return queries;
    },
  };
}

/** A clock the test moves. */
export function manualClock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
