import type { Services } from "@nchat/api";

/** How a process's rate limiter decided: on Redis, or in-process because Redis was unreachable. */
export type LimiterStats = {
  redis: number;
  degraded: number;
  /** Epoch ms of the first and last in-process decision (null: none). */
  firstDegradedAt: number | null;
  lastDegradedAt: number | null;
  /** Decisions on Redis after the last in-process one. */
  redisSinceDegraded: number;
};

/** Wraps the services' rate limiter to count its decisions; returns the counts' reader. */
export function countLimiterDecisions(services: Services): () => LimiterStats {
  const stats: LimiterStats = {
    redis: 0,
    degraded: 0,
    firstDegradedAt: null,
    lastDegradedAt: null,
    redisSinceDegraded: 0,
  };
  const inner = services.rateLimiter;
  services.rateLimiter = {
    async limit(policy, identifier) {
      const d = await inner.limit(policy, identifier);
      if (d.degraded) {
        stats.degraded++;
        stats.lastDegradedAt = Date.now();
        stats.firstDegradedAt ??= stats.lastDegradedAt;
        stats.redisSinceDegraded = 0;
      } else {
        stats.redis++;
        stats.redisSinceDegraded++;
      }
      return d;
    },
  };
  return () => ({ ...stats });
}
