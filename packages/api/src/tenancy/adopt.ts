import { type PlanId, planDefaults } from "@nchat/billing/plans";
import { type AdoptResult, adoptSchema, type Database, type MasterKey } from "@nchat/db";
import { type Actor, auditActor, SYSTEM } from "../audit/actor";
import type { TenantResolver } from "./resolver";

/** What adoption needs of the services. */
export type AdoptDeps = { db: Database; masterKey: MasterKey; resolver: Pick<TenantResolver, "invalidate"> };

export type AdoptTenantInput = {
  /** The existing schema (this product's tenant tables, built the single-tenant way). */
  schema: string;
  slug: string;
  /** An active user of that schema: becomes the workspace's owner. */
  ownerEmail: string;
  name?: string;
  /** The plan whose limits and features the workspace gets (default: free). */
  plan?: PlanId;
  /** Do it all and roll it back: reports what would happen, changes nothing. */
  dryRun?: boolean;
};

/**
 * Registers an existing schema as a tenant (`adoptSchema`: verified layout, role and grants,
 * control-plane rows, all or nothing) on the plan's defaults, then tells every process's resolver
 * that the slug exists now. Refusals are `AdoptionRefusedError`s naming what is wrong.
 */
export async function adoptTenant(
  services: AdoptDeps,
  input: AdoptTenantInput,
  actor: Actor = SYSTEM,
): Promise<AdoptResult> {
  const plan = input.plan ?? "free";
  const result = await adoptSchema(
    services.db,
    {
      schema: input.schema,
      slug: input.slug,
      ownerEmail: input.ownerEmail,
      name: input.name,
      plan,
      status: "active",
      ...planDefaults(plan),
      audit: auditActor(actor),
    },
    { masterKey: services.masterKey, dryRun: input.dryRun },
  );
  if (!result.dryRun) await services.resolver.invalidate({ slug: input.slug });
  return result;
}
