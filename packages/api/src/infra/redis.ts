import { parseRedisUrl, type RedisTarget, redisIsCluster } from "@nchat/config";
import { Cluster, Redis, type RedisOptions } from "ioredis";

/**
 * One Redis or a Redis Cluster. Both take the same commands; on a cluster every key of one command
 * or script must be in one slot: keys of a tenant carry its id as a hash tag (`{tenant id}`).
 */
export type RedisClient = Redis | Cluster;

export type CreateRedisOptions = {
  /** CLIENT SETNAME of the connections. */
  name?: string;
  /** A Redis Cluster (REDIS_CLUSTER). Default: true when `url` lists several nodes. */
  cluster?: boolean;
  /** Where a misconfiguration found at connect time is reported (default: console.error). */
  log?: (msg: string) => void;
};

/** Seed nodes of the clusters made here, for connections of their own (pub/sub). */
const clusterSeeds = new WeakMap<Cluster, { host: string; port: number }[]>();

/**
 * A client that fails fast instead of queueing: with Redis down, commands reject at once (callers
 * fall back to the database or to in-process state) rather than hanging a request.
 *
 * `url` is REDIS_URL: one node, or a cluster's seed nodes comma-separated (credentials and TLS of
 * the first apply to all). A cluster gets an ioredis `Cluster` with the same fail-fast settings: no
 * offline queue, a 500 ms command timeout, reconnection forever in the background.
 */
export function createRedis(url: string, opts: CreateRedisOptions | string = {}): RedisClient {
  const o: CreateRedisOptions = typeof opts === "string" ? { name: opts } : opts;
  const target = parseRedisUrl(url);
  const name = o.name ?? "nchat";
  const log = o.log ?? ((msg: string) => console.error(msg));
  const base = nodeOptions(target, name);
  if (redisIsCluster(target, o.cluster)) {
    const cluster = new Cluster(target.nodes, {
      redisOptions: base,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
      slotsRefreshTimeout: 2_000,
      // Fail fast, as with one Redis: by default ioredis retries a command for ~1.6 s (16 × 100 ms)
      // while the cluster is down or a node's connection is closed. CLUSTERDOWN fails at once; a
      // node connection that is closed or still connecting is retried for at most ~150 ms (3 × 50).
      // MOVED/ASK (resharding) are followed up to 4 times.
      retryDelayOnClusterDown: 0,
      retryDelayOnFailover: 50,
      maxRedirections: 4,
      // Writes and reads on masters only: rate-limit counters and cache entries are read back at once.
      scaleReads: "master",
      enableAutoPipelining: true,
    });
    clusterSeeds.set(cluster, target.nodes);
    cluster.on("error", () => {}); // reconnects on its own; callers see failed commands
    cluster.on("node error", () => {});
    return cluster;
  }
  const node = target.nodes[0]!;
  const client = new Redis({
    ...base,
    host: node.host,
    port: node.port,
    db: target.db,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // Commands of concurrent requests issued in the same tick go out in one write.
    enableAutoPipelining: true,
  });
  client.on("error", () => {}); // reconnects on its own; callers see failed commands
  // A cluster node used as one Redis answers MOVED for the keys of the other nodes' slots: every
  // such command would fail and its caller fall back. Say so loudly instead of degrading quietly.
  client.on("ready", () => {
    client.info("cluster").then(
      (info) => {
        if (/^cluster_enabled:1/m.test(info))
          log(
            `redis: ${node.host}:${node.port} is a Redis Cluster node but REDIS_CLUSTER is not true: keys on other nodes fail (MOVED). Set REDIS_CLUSTER=true.`,
          );
      },
      () => {},
    );
  });
  return client;
}

/** Options every connection of a target shares. */
function nodeOptions(target: RedisTarget, name: string): RedisOptions {
  return {
    connectionName: name,
    username: target.username,
    password: target.password,
    ...(target.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 500,
  };
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Resolves once the client is connected (commands fail fast before that). */
export async function redisReady(client: RedisClient, timeoutMs = 5_000): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis: not ready in time")), timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A connection of its own for SUBSCRIBE, with an offline queue (SUBSCRIBE waits for the connection)
 * and no automatic resubscription (the caller knows which channels it wants).
 *
 * One Redis: a duplicate of the client, reconnecting to it forever.
 * A cluster: a connection to one of its nodes — classic PUBLISH reaches the subscribers of every
 * node — that reconnects to that node a few times, then ends ("end"): the caller then asks for a
 * new one, on another node if there is one (`previous`).
 */
export function subscriberConnection(client: RedisClient, previous?: Redis): Redis {
  if (!isCluster(client)) return client.duplicate({ enableOfflineQueue: true, autoResubscribe: false });
  const known = new Map<string, { host: string; port: number }>();
  for (const n of client.nodes("all")) {
    const { host, port } = n.options;
    if (host && port) known.set(`${host}:${port}`, { host, port });
  }
  for (const n of clusterSeeds.get(client) ?? []) known.set(`${n.host}:${n.port}`, n);
  const all = [...known.values()];
  const prev = previous ? `${previous.options.host}:${previous.options.port}` : null;
  const others = all.filter((n) => `${n.host}:${n.port}` !== prev);
  const pool = others.length > 0 ? others : all;
  const node = pool[Math.floor(Math.random() * pool.length)];
  if (!node) throw new Error("redis cluster: no node known to subscribe on");
  const { redisOptions } = client.options;
  return new Redis({
    ...redisOptions,
    connectionName: `${redisOptions?.connectionName ?? "nchat"}-sub`,
    host: node.host,
    port: node.port,
    enableOfflineQueue: true,
    autoResubscribe: false,
    retryStrategy: (times) => (times > 3 ? null : times * 200),
  });
}
