// Shared by scripts/billing-jobs.ts and scripts/billing-reconcile.ts.
import type { Services } from "@nchat/api";

/** `--tenant SLUG` → that tenant's id (exit 2 if unknown); unset → every tenant. */
export async function onlyTenant(
  services: Services,
  slug: string | undefined,
): Promise<string[] | undefined> {
  if (slug === undefined) return undefined;
  const tenant = await services.tenants.getTenantBySlug(slug);
  if (!tenant) {
    console.error(`no workspace with slug ${slug}`);
    process.exit(2);
  }
  return [tenant.id];
}
