import { Redis } from "ioredis";

/**
 * A Redis client that fails fast instead of queueing: with Redis down, commands reject at once
 * (callers fall back to the database or to in-process state) rather than hanging a request.
 */
export function createRedis(url: string, name = "nchat"): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // Commands of concurrent requests issued in the same tick go out in one write.
    enableAutoPipelining: true,
  });
  client.on("error", () => {}); // reconnects on its own; callers see failed commands
  return client;
}

/** Resolves once the client is connected (commands fail fast before that). */
export async function redisReady(client: Redis, timeoutMs = 5_000): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis: not ready in time")), timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
