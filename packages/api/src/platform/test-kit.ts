/** Helpers for the platform service tests (real database; *.test.ts only). */
import { afterAll, beforeAll } from "vitest";
import { type Actor, SYSTEM } from "../audit/actor";
import { DomainService } from "../domains/domain-service";
import type { Services } from "../server";
import { testServices } from "../testing";
import { PlatformService } from "./platform-service";

/** This test file's services and platform service (live bindings: made before its tests by `useKit`). */
export let services: Services;
export let platform: PlatformService;

/** TXT records the domain service's resolver answers, by name (tests set them). */
export const txt = new Map<string, string[]>();
export const admin: Actor = {
  type: "super_admin",
  id: "00000000-0000-4000-8000-0000000000aa",
  email: "root@platform.test",
};

/** Registers the file's hooks: services made before its tests (startPlatformKit), closed after them. */
export function useKit() {
  beforeAll(async () => {
    await startPlatformKit();
  });
  afterAll(() => services.close());
}

/** Services with custom domains on (DNS answered from `txt`), a 30-day retention, and the platform service. */
async function startPlatformKit() {
  services = await testServices({ ENABLE_CUSTOM_DOMAINS: "true", RETENTION_DAYS: "30" });
  services.domains = new DomainService({
    db: services.db,
    config: { enabled: true, allowlist: [], baseDomain: services.tenancy.baseDomain },
    resolveTxt: async (name) => {
      const values = txt.get(name);
      if (!values) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      return values.map((v) => [v]);
    },
    onTenantChanged: (t) => services.resolver.invalidate(t),
  });
  platform = new PlatformService(services);
  return { services, platform };
}

export async function createTenant(slug: string, over: { name?: string; ownerEmail?: string } = {}) {
  const { tenant } = await services.tenants.createTenant(
    {
      name: over.name ?? `Org ${slug}`,
      slug,
      ownerEmail: over.ownerEmail ?? `owner@${slug}.test`,
      ownerName: "Owner",
      ownerPassword: "owner-password-1",
    },
    SYSTEM,
  );
  return tenant;
}

export async function setUsage(
  tenantId: string,
  period: string,
  u: { messages?: number; activeUsers?: number },
) {
  await services.db.admin`
    insert into public.tenant_usage (tenant_id, period, messages_sent, users_active)
    values (${tenantId}, ${period}, ${u.messages ?? 0}, ${u.activeUsers ?? 0})
    on conflict (tenant_id, period) do update set messages_sent = excluded.messages_sent,
      users_active = excluded.users_active`;
}

export async function rejects(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error("expected a rejection");
}

export async function auditOf(tenantId: string) {
  return (await platform.auditLog({ tenant: tenantId, limit: 100 })).items;
}
