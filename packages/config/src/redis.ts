/**
 * REDIS_URL: one Redis, or the seed nodes of a Redis Cluster, comma-separated:
 *
 *   redis://:secret@10.0.0.1:6379
 *   rediss://:secret@10.0.0.1:6379,rediss://10.0.0.2:6379,10.0.0.3:6379
 *
 * Scheme (redis:// or rediss:// = TLS), user name and password are written on the first entry and
 * apply to every node (a cluster has one set of credentials); later entries may repeat them or be
 * bare `host:port`, but may not contradict them. A database number (`/2`) is allowed for one Redis
 * only: a cluster has database 0 alone.
 */
export type RedisTarget = {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
  db: number;
};

export function parseRedisUrl(value: string): RedisTarget {
  const entries = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error("no Redis node given");
  let target: RedisTarget | undefined;
  for (const entry of entries) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry)
      ? entry
      : `${target?.tls ? "rediss" : "redis"}://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new Error(`"${redact(entry)}" is not a Redis URL`);
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:")
      throw new Error(`"${redact(entry)}": the scheme must be redis:// or rediss:// (TLS)`);
    if (!url.hostname) throw new Error(`"${redact(entry)}": no host`);
    const port = url.port ? Number(url.port) : 6379;
    const path = url.pathname.replace(/^\//, "");
    if (path !== "" && !/^\d+$/.test(path))
      throw new Error(`"${redact(entry)}": the path can only be a database number`);
    const node = {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls: url.protocol === "rediss:",
      db: path === "" ? 0 : Number(path),
    };
    if (!target) {
      target = {
        nodes: [{ host: node.host, port: node.port }],
        username: node.username,
        password: node.password,
        tls: node.tls,
        db: node.db,
      };
      continue;
    }
    const conflict =
      node.tls !== target.tls
        ? "TLS (rediss://)"
        : node.username !== undefined && node.username !== target.username
          ? "the user name"
          : node.password !== undefined && node.password !== target.password
            ? "the password"
            : node.db !== 0 && node.db !== target.db
              ? "the database"
              : null;
    if (conflict)
      throw new Error(`"${redact(entry)}": every node must use the same ${conflict} as the first one`);
    target.nodes.push({ host: node.host, port: node.port });
  }
  return target as RedisTarget;
}

/**
 * Whether REDIS_URL names a Redis Cluster: REDIS_CLUSTER when set, else "several nodes are listed".
 * Throws on the contradictions (several nodes but REDIS_CLUSTER=false; a database number on a cluster).
 */
export function redisIsCluster(target: RedisTarget, flag: boolean | undefined): boolean {
  if (flag === false && target.nodes.length > 1)
    throw new Error(
      "REDIS_URL lists several nodes but REDIS_CLUSTER=false: several nodes make sense for a cluster only",
    );
  const cluster = flag ?? target.nodes.length > 1;
  if (cluster && target.db !== 0)
    throw new Error("a Redis Cluster has database 0 only: drop the /<db> of REDIS_URL");
  return cluster;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
