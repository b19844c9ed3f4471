import type { Database } from "@nchat/db";
import { withTenant } from "@nchat/db";
import { LRUCache } from "lru-cache";
import { AppError } from "../errors";
import type { ResolvedTenant } from "../tenancy/resolver";
import { resourceUsage } from "./limits";
import type { UsageRecorder } from "./usage";
import { usagePeriod } from "./usage";

const flushed = new LRUCache<string, { used: number; limit: number }>({ max: 50_000, ttl: 5_000 });

/**
 * The monthly API-call allowance of API-key traffic. Reads the flushed total (cached 5 s per tenant)
 * plus this process's unflushed calls, so with N processes the cap can be overshot by at most what
 * the other processes counted since their last flush.
 */
export async function enforceApiCallQuota(
  services: { db: Database; usage: UsageRecorder },
  tenant: ResolvedTenant,
): Promise<void> {
  const key = `${tenant.id}|${usagePeriod()}`;
  let base = flushed.get(key);
  if (!base) {
    base = await withTenant(services.db, tenant, ({ db }) => resourceUsage(db, tenant, "api_calls_month"));
    flushed.set(key, base);
  }
  if (base.limit < 0) return;
  const used = base.used + services.usage.pending(tenant.id).apiCallsTotal;
  if (used >= base.limit) {
    throw new AppError("LIMIT_EXCEEDED", "Your plan's monthly API calls are used up. Upgrade for more.", {
      resource: "api_calls_month",
      used,
      limit: base.limit,
    });
  }
}
