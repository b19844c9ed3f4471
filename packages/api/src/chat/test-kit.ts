/** Helpers for the chat tests (real database; imported by *.test.ts only). */
import { uniqueSlug } from "@nchat/db/testing";
import { vi } from "vitest";
import type { Actor } from "../audit/actor";
import type { Services } from "../server";
import { allowGuests, TestClient, tenantWithOwner } from "../testing";
import type { ChatTenant } from "./chat-service";
import type { ChatEventPublisher, TrackedChatEvent } from "./events";

/** Enough of a workspace to act in it: its id and its owner's signed-in client. */
export type Host = { tenant: { id: string }; client: TestClient };
export type Person = { client: TestClient; user: { id: string; name: string; email: string }; actor: Actor };

export { rejects } from "../testing";

export const actorOf = (user: { id: string }, role: Actor["role"] = "member"): Actor => ({
  type: "user",
  id: user.id,
  role,
});

/** A workspace on the Free plan (or `plan`) with its owner signed in. */
export async function workspace(services: Services, base: string, plan?: "pro" | "enterprise") {
  const slug = uniqueSlug(base);
  const owner = await tenantWithOwner(services, slug);
  const ownerActor = actorOf({ id: owner.ownerId }, "owner");
  let tenant: ChatTenant = owner.tenant;
  if (plan) tenant = await upgrade(services, owner, plan);
  return { ...owner, slug, tenant, actor: ownerActor };
}
export type Workspace = Awaited<ReturnType<typeof workspace>>;

/** Moves a workspace to another plan and drops the cached resolution of its host. */
export async function upgrade(services: Services, owner: Host, plan: "free" | "pro" | "enterprise") {
  const updated = await services.tenants.updateTenant(
    owner.tenant.id,
    { billingPlan: plan },
    { type: "super_admin", id: "sa" },
  );
  await services.resolver.invalidate({ slug: updated.slug });
  return updated as ChatTenant;
}

/** Invites and accepts: a signed-in client of a new person with this role. */
export async function person(
  services: Services,
  ws: Host,
  role: "admin" | "member" | "guest" = "member",
  name = `${role[0]!.toUpperCase()}${role.slice(1)} ${Math.random().toString(36).slice(2, 7)}`,
): Promise<Person> {
  const email = `${role}-${uniqueSlug("u")}@people.test`;
  // Invite links are printed outside production; keep test output quiet (for the rest of the file).
  if (!vi.isMockFunction(console.info)) vi.spyOn(console, "info").mockImplementation(() => {});
  if (role === "guest") await allowGuests(services, ws.tenant.id);
  const { token } = await ws.client.call((c) => c.members.invite({ email, role }));
  const client = new TestClient(services, ws.client.host);
  const res = await client.call((c) =>
    c.members.acceptInvitation({ token, name, password: "member-password-1" }),
  );
  return { client, user: { id: res.user.id, name, email }, actor: actorOf(res.user, role) };
}

/** The workspace's #general (every new member is in it). */
export async function generalId(services: Services, ws: Workspace): Promise<string> {
  const { channels } = await services.chat.listChannels(ws.tenant, ws.actor);
  const general = channels.find((c) => c.name === "general");
  if (!general) throw new Error("no #general");
  return general.id;
}

/** The durable events of a workspace, in id order. */
export async function eventRows(services: Services, ws: { tenant: { schemaName: string } }) {
  const sql = services.db.admin;
  const rows = await sql<{ id: string; type: string; channel_id: string | null; payload: unknown }[]>`
    select id, type, channel_id, payload from ${sql(ws.tenant.schemaName)}.events order by id`;
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** A publisher that remembers what it was given. */
export function recordingPublisher() {
  const published: { tenantId: string; event: TrackedChatEvent }[] = [];
  const publisher: ChatEventPublisher = {
    publish: async (tenant, event) => {
      published.push({ tenantId: tenant.id, event });
    },
  };
  return { publisher, published };
}

/** Rows of a tenant table, straight from the database (privileged connection). */
export async function count(services: Services, schema: string, table: string, where = "true") {
  const sql = services.db.admin;
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from ${sql(schema)}.${sql(table)} where ${sql.unsafe(where)}`;
  return row?.n ?? 0;
}
