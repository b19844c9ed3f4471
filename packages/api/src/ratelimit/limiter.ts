import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { UpstashIoRedisAdapter } from "./ioredis-adapter";
import { type RatePolicy, windowMs } from "./policies";

export type RateDecision = {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the window frees capacity again (epoch ms). */
  reset: number;
  /** Decided in-process because Redis was unreachable. */
  degraded?: boolean;
};

export interface RateLimiter {
  limit(policy: RatePolicy, identifier: string): Promise<RateDecision>;
}

/**
 * Sliding window in this process (the same weighting as Upstash's): used when there is no Redis,
 * and as the fallback when Redis is unreachable. Keys are LRU-bounded.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new LRUCache<string, { start: number; current: number; previous: number }>({
    max: 100_000,
  });

  async limit(policy: RatePolicy, identifier: string): Promise<RateDecision> {
    const size = windowMs(policy.window);
    const now = Date.now();
    const start = now - (now % size);
    const key = `${policy.name}:${identifier}`;
    let w = this.windows.get(key);
    if (!w || w.start < start - size) w = { start, current: 0, previous: 0 };
    else if (w.start < start) w = { start, current: 0, previous: w.current };
    const weightedPrevious = Math.floor((1 - (now - start) / size) * w.previous);
    const reset = start + size;
    if (weightedPrevious + w.current >= policy.limit) {
      this.windows.set(key, w);
      return { success: false, limit: policy.limit, remaining: 0, reset };
    }
    w.current++;
    this.windows.set(key, w);
    return {
      success: true,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - weightedPrevious - w.current),
      reset,
    };
  }
}

/**
 * @upstash/ratelimit on ioredis, shared by every process. Policy when Redis is unreachable or slower
 * than `timeoutMs`: decide in-process (MemoryRateLimiter) and log — requests are neither refused
 * wholesale nor let through unlimited, and never wait on a dead Redis.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, Ratelimit>();
  private readonly adapter: UpstashIoRedisAdapter;
  private readonly fallback = new MemoryRateLimiter();
  private lastWarning = 0;

  constructor(
    redis: Redis,
    private readonly opts: {
      namespace: string;
      timeoutMs?: number;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {
    this.adapter = new UpstashIoRedisAdapter(redis);
  }

  async limit(policy: RatePolicy, identifier: string): Promise<RateDecision> {
    const limiter = this.limiterFor(policy);
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await Promise.race([
        limiter.limit(identifier),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("rate limiter: Redis timed out")),
            this.opts.timeoutMs ?? 250,
          );
        }),
      ]);
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch (err) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.opts.log?.("rate limiter: Redis unavailable, limiting in-process", err);
      }
      return { ...(await this.fallback.limit(policy, identifier)), degraded: true };
    } finally {
      clearTimeout(timer);
    }
  }

  private limiterFor(policy: RatePolicy): Ratelimit {
    // Same policy and window → same prefix → same counters, whatever the limit (a plan change
    // applies the new limit to the running window).
    const key = `${policy.name}:${policy.limit}:${policy.window}`;
    let l = this.limiters.get(key);
    if (!l) {
      l = new Ratelimit({
        redis: this.adapter as never,
        limiter: Ratelimit.slidingWindow(policy.limit, policy.window),
        prefix: `${this.opts.namespace}:rl:${policy.name}`,
        analytics: false,
        // Blocked identifiers are remembered in-process until their reset: no Redis call for them.
        ephemeralCache: new Map(),
        timeout: 0,
      });
      this.limiters.set(key, l);
    }
    return l;
  }
}

/**
 * Applies several policies to one request, in order (put the shortest window first): all must
 * pass. A request refused by one policy does not count against the later ones. The tightest
 * decision sets the headers.
 */
export async function limitAll(limiter: RateLimiter, checks: [RatePolicy, string][]): Promise<RateDecision> {
  const decisions: RateDecision[] = [];
  for (const [policy, id] of checks) {
    const d = await limiter.limit(policy, id);
    if (!d.success) return d;
    decisions.push(d);
  }
  return decisions.reduce((a, b) => (a.remaining <= b.remaining ? a : b));
}

/** Standard headers (IETF RateLimit draft + Retry-After). */
export function rateLimitHeaders(d: RateDecision, now = Date.now()): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((d.reset - now) / 1000));
  return {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(resetSeconds),
    ...(d.success ? {} : { "Retry-After": String(Math.max(1, resetSeconds)) }),
  };
}
