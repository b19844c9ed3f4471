/** Helpers for the API key tests (real database; imported by *.test.ts only). */
import { uniqueSlug } from "@nchat/db/testing";
import type { Actor } from "../audit/actor";
import type { Services } from "../server";
import { memberOf, TestClient, tenantWithOwner } from "../testing";
import type { ApiKeyScope } from "./inputs";

let services: Services;
/** The services the helpers below use (the test file's, from its beforeAll). */
export function useServices(s: Services) {
  services = s;
}

export const superAdmin: Actor = { type: "super_admin", id: "sa" };

export async function rejects(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; message: string; cause?: { code?: string; details?: unknown } };
    return { code: err.code, appCode: err.cause?.code, message: err.message, details: err.cause?.details };
  }
  throw new Error("expected a rejection");
}

/** A Pro tenant (API access) with its signed-in owner. */
export async function proTenant(base = "key") {
  const owned = await tenantWithOwner(services, uniqueSlug(base));
  await services.tenants.updateTenant(owned.tenant.id, { billingPlan: "pro" }, superAdmin);
  return owned;
}

/** A client of `host` that authenticates with an API key instead of a cookie. */
export const keyClient = (host: string, key: string, over: Record<string, string> = {}) =>
  new TestClient(services, host, "web", { authorization: `Bearer ${key}`, ...over });

export async function createKey(client: TestClient, scope: ApiKeyScope, name = `${scope} key`) {
  return client.call((c) => c.apiKeys.create({ name, scope }));
}

export async function keyRows(tenant: { schemaName: string }) {
  return services.db.admin.unsafe<
    { id: string; key_hash: string; prefix: string; service_user_id: string }[]
  >(`select id, key_hash, prefix, service_user_id, last_used_at from "${tenant.schemaName}".api_keys`);
}

/** Adds a user with `role` to the tenant and returns a client signed in as them. */
export async function signedInAs(
  tenant: { id: string; schemaName: string; dbRole: string },
  host: string,
  role: "admin" | "member" | "guest",
) {
  return (await memberOf(services, tenant, host, role)).client;
}

export async function auditOf(tenantId: string, action: string) {
  return services.db.admin<
    { actor_type: string; actor_id: string; resource_id: string; before: unknown; after: unknown }[]
  >`select actor_type, actor_id, resource_id, before, after from public.tenant_audit_logs
    where tenant_id = ${tenantId} and action = ${action} order by id`;
}
