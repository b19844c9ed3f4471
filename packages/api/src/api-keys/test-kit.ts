/** Helpers for the API key tests (real database; imported by *.test.ts only). */
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll } from "vitest";
import type { Actor } from "../audit/actor";
import type { Services } from "../server";
import { memberOf, TestClient, tenantWithOwner, testServices } from "../testing";
import type { ApiKeyScope } from "./inputs";

/** This test file's services (a live binding: made before its tests by `useKit`, closed after them). */
export let services: Services;
/** Registers the file's hooks: its services before the tests, closed after them. */
export function useKit() {
  beforeAll(async () => {
    services = await testServices();
  });
  afterAll(() => services.close());
}

export const superAdmin: Actor = { type: "super_admin", id: "sa" };

export { rejects } from "../testing";

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
