/** Helpers for the members tests (real database; *.test.ts only). */
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import type { Services } from "../server";
import { allowGuests, tenantWithOwner as newTenantWithOwner, TestClient, testServices } from "../testing";

/** This test file's services (a live binding: made before its tests by `useKit`, closed after them). */
export let services: Services;
/** Registers the file's hooks: its services before the tests, closed after them. Mocks (quiet()) end with each test. */
export function useKit() {
  beforeAll(async () => {
    services = await testServices();
  });
  afterAll(() => services.close());
  afterEach(() => {
    vi.restoreAllMocks();
  });
}

/** A tenant with "Allow guests" on (most tests here invite guests); see "the Allow guests setting". */
export async function tenantWithOwner(...args: Parameters<typeof newTenantWithOwner>) {
  const owner = await newTenantWithOwner(...args);
  await allowGuests(services, owner.tenant.id);
  return owner;
}
export type Owner = Awaited<ReturnType<typeof tenantWithOwner>>;
export type Role = "admin" | "member" | "guest";

export { rejects } from "../testing";

export const quiet = () => vi.spyOn(console, "info").mockImplementation(() => {});

/** A signed-out browser on the same host. */
export const visitor = (c: TestClient) => new TestClient(services, c.host);

export async function invite(client: TestClient, email: string, role: Role = "member") {
  quiet();
  return client.call((c) => c.members.invite({ email, role }));
}

export async function accept(
  host: TestClient,
  token: string,
  name = "New Person",
  password = "member-password-1",
) {
  const browser = visitor(host);
  const res = await browser.call((c) => c.members.acceptInvitation({ token, name, password }));
  return { browser, user: res.user };
}

/** Invites and accepts: a signed-in client of the new member. */
export async function member(owner: Owner, role: Role, email = `${role}-${uniqueSlug("u")}@people.test`) {
  const { token } = await invite(owner.client, email, role);
  const { browser, user } = await accept(owner.client, token);
  return { client: browser, user, email };
}

/** Polls until `check` holds or the time is up; says which. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function auditActions(tenantId: string) {
  const rows = await services.db.admin<{ action: string; actor_id: string | null; resource_id: string }[]>`
    select action, actor_id, resource_id from public.tenant_audit_logs where tenant_id = ${tenantId} order by id`;
  return rows;
}

export async function usersByEmail(schema: string, email: string) {
  const sql = services.db.admin;
  return sql<{ id: string; role: string; deactivated_at: Date | null }[]>`
    select id, role, deactivated_at from ${sql(schema)}.users where lower(email) = ${email.toLowerCase()}`;
}
