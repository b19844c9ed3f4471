import { describe, expect, it } from "vitest";
import { loadEnv } from "./env";
import { parseRedisUrl, redisIsCluster } from "./redis";

describe("REDIS_URL", () => {
  it("one node, with credentials, TLS and a database", () => {
    expect(parseRedisUrl("rediss://app:s%40cret@cache.internal:6380/2")).toEqual({
      nodes: [{ host: "cache.internal", port: 6380 }],
      username: "app",
      password: "s@cret",
      tls: true,
      db: 2,
    });
    expect(parseRedisUrl("redis://127.0.0.1").nodes).toEqual([{ host: "127.0.0.1", port: 6379 }]);
  });

  it("a cluster's seed nodes: credentials and TLS of the first apply to all; bare host:port allowed", () => {
    expect(parseRedisUrl("rediss://:pw@10.0.0.1:6379, rediss://:pw@10.0.0.2:6379,10.0.0.3")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 6379 },
        { host: "10.0.0.2", port: 6379 },
        { host: "10.0.0.3", port: 6379 },
      ],
      username: undefined,
      password: "pw",
      tls: true,
      db: 0,
    });
  });

  it("refuses contradictions and what is not a Redis URL, without echoing the password", () => {
    expect(() => parseRedisUrl("redis://a:6379,rediss://b:6379")).toThrow(/same TLS/);
    expect(() => parseRedisUrl("redis://:one@a:6379,redis://:two@b:6379")).toThrow(/same the password/);
    expect(() => parseRedisUrl("http://a:6379")).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl("")).toThrow(/no Redis node/);
    expect(() => parseRedisUrl("redis://:hunter2@a:6379,https://b")).not.toThrow(/hunter2/);
    expect(() => parseRedisUrl("redis://:hunter2@a:6379,redis://:x@b")).toThrow(/:\*\*\*@/);
  });

  it("REDIS_CLUSTER: explicit, else several nodes mean a cluster", () => {
    const one = parseRedisUrl("redis://a:7001");
    const three = parseRedisUrl("redis://a:7001,redis://b:7002,redis://c:7003");
    expect(redisIsCluster(one, undefined)).toBe(false);
    expect(redisIsCluster(one, true)).toBe(true);
    expect(redisIsCluster(three, undefined)).toBe(true);
    expect(() => redisIsCluster(three, false)).toThrow(/several nodes/);
    expect(() => redisIsCluster(parseRedisUrl("redis://a:7001/3"), true)).toThrow(/database 0/);
  });

  it("is validated with the environment", () => {
    expect(loadEnv({ REDIS_URL: "redis://a:7001", REDIS_CLUSTER: "true" }).REDIS_CLUSTER).toBe(true);
    expect(loadEnv({ REDIS_URL: "redis://a:7001" }).REDIS_CLUSTER).toBeUndefined();
    expect(() => loadEnv({ REDIS_URL: "redis://a:1,redis://b:2", REDIS_CLUSTER: "false" })).toThrow(
      /REDIS_CLUSTER/,
    );
    expect(() => loadEnv({ REDIS_URL: "memcached://a" })).toThrow();
  });
});
