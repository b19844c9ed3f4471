// A second process for the cross-process invalidation test: resolves slugs on request over stdin
// ("<id> <slug>" per line) and answers JSON lines on stdout.
import { createInterface } from "node:readline";
import { createDatabase } from "@nchat/db";
import { PgPubSub, RedisPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantResolver } from "./resolver";

const cfg = JSON.parse(process.env.RESOLVER_CHILD_CONFIG!) as {
  adminUrl: string;
  rolePrefix: string;
  appPassword: string;
  redisUrl: string | null;
  pubsub: "pg" | "redis";
  /** Overrides of the set of known names (e.g. a short refresh interval). */
  known?: { refreshMs?: number; refreshBurst?: number };
};
const db = createDatabase({ ...cfg, poolMax: 2 });
// As in production: with Redis, it is both the shared cache layer and the pub/sub; without, LISTEN/NOTIFY.
const redis = cfg.pubsub === "redis" && cfg.redisUrl ? createRedis(cfg.redisUrl, "resolver-child") : null;
if (redis) await redisReady(redis);
const pubsub = redis ? new RedisPubSub(redis) : new PgPubSub(db);
const resolver = await new TenantResolver({
  db,
  redis,
  pubsub,
  namespace: cfg.rolePrefix,
  ttl: { local: 600_000 },
  known: cfg.known,
}).start();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const [id, slug] = line.trim().split(" ");
  if (!id || !slug) continue;
  const tenant = await resolver.bySlug(slug);
  process.stdout.write(`${JSON.stringify({ id, name: tenant?.name ?? null, stats: resolver.stats })}\n`);
}
await resolver.stop();
await pubsub.close();
redis?.disconnect();
await db.close();
