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
  });
  client.on("error", () => {}); // reconnects on its own; callers see failed commands
  return client;
}
