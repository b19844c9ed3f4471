import { Ratelimit } from "@upstash/ratelimit";
import { LRUCache } from "lru-cache";
import { FallbackReporter } from "../infra/log";
import type { RedisClient } from "../infra/redis";
import { hashTag, UpstashIoRedisAdapter } from "./ioredis-adapter";
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
 * @upstash/ratelimit on ioredis (one Redis or a Redis Cluster), shared by every process. Policy when
 * Redis is unreachable or slower than `timeoutMs`: decide in-process (MemoryRateLimiter) and log —
 * requests are neither refused wholesale nor let through unlimited, and never wait on a dead Redis.
 * `degradedDecisions` counts those in-process decisions.
 *
 * Redis Cluster: an identifier without a hash tag is wrapped in one (`1.2.3.4` → `{1.2.3.4}`), so
 * the current and previous window keys of one identifier are in one slot (a script over keys of
 * several slots fails with CROSSSLOT). Identifiers that carry a tag (`{tenant id}`) keep it.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, Ratelimit>();
  private readonly adapter: UpstashIoRedisAdapter;
  private readonly fallback = new MemoryRateLimiter();
  /** Says at most every 10 s how many decisions were made in-process, and why. */
  private readonly fallbackLog: FallbackReporter;
  /** Decisions made in-process because Redis failed or was too slow (0 while Redis answers). */
  degradedDecisions = 0;

  constructor(
    redis: RedisClient,
    private readonly opts: {
      namespace: string;
      timeoutMs?: number;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {
    this.adapter = new UpstashIoRedisAdapter(redis);
    this.fallbackLog = new FallbackReporter({
      what: "rate limiter",
      describe: (n) => `${n} decision${n === 1 ? "" : "s"} in-process`,
      log: opts.log,
    });
  }

  async limit(policy: RatePolicy, identifier: string): Promise<RateDecision> {
    const limiter = this.limiterFor(policy);
    let cancelDeadline: (() => void) | undefined;
    try {
      const r = await Promise.race([
        limiter.limit(hashTag(identifier) === null ? `{${identifier}}` : identifier),
        new Promise<never>((_, reject) => {
          cancelDeadline = redisDeadline(this.opts.timeoutMs ?? 250, () =>
            reject(new Error("rate limiter: Redis timed out")),
          );
        }),
      ]);
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch (err) {
      this.degradedDecisions++;
      this.fallbackLog.report(err);
      return { ...(await this.fallback.limit(policy, identifier)), degraded: true };
    } finally {
      cancelDeadline?.();
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

/**
 * Calls `onTimeout` once Redis has had `ms` of time the process could spend waiting for it, and
 * returns a cancel function. A timer that fires late says the process itself was busy (the command
 * may not even have been sent, or its answer sits unread on the socket — timers run before sockets
 * are read): that stall is not Redis's, so the wait starts over (twice at most). The final call comes
 * after the sockets were read (setImmediate), so an answer that did arrive wins.
 */
function redisDeadline(ms: number, onTimeout: () => void): () => void {
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const arm = () => {
    const due = performance.now() + ms;
    timer = setTimeout(() => {
      if (performance.now() - due > ms / 2 && restarts++ < 2) return arm();
      immediate = setImmediate(onTimeout);
    }, ms);
  };
  arm();
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}
