import { randomUUID } from "node:crypto";
import { type Database, type TenantActor, type TenantRef, type TenantTx, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, audit, isPlatformActor } from "../audit/actor";
import type { SessionUser } from "../auth/auth-service";
import { can } from "../auth/permissions";
import { hashToken, randomToken } from "../auth/tokens";
import { AppError } from "../errors";
import type { ApiKeyScope, CreateApiKeyRequest } from "./inputs";
import { readActiveKey, toScope } from "./principal";

/** Every API key starts with this, so a bearer token can be told apart from other credentials. */
export const API_KEY_PREFIX = "nck_";
/** How many leading characters of a key are kept for display ("nck_" + 8). */
export const API_KEY_DISPLAY_LENGTH = 12;
/** `last_used_at` is written at most this often per key. */
const TOUCH_AFTER_MS = 60_000;

export { API_KEY_SCOPES, type ApiKeyScope, type CreateApiKeyRequest, createApiKeyInput } from "./inputs";

/** A key as listed: never its hash, never the key. */
export type ApiKeyView = {
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
};

/** The answer to `create`: the only time the key itself is ever shown. */
export type CreatedApiKey = {
  key: string;
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  createdAt: Date;
};

/** Who a valid key acts as: its service user, the key and its scope. */
export type ApiKeyPrincipal = { user: SessionUser; apiKeyId: string; scope: ApiKeyScope };

const notFound = () => new AppError("NOT_FOUND", "No such API key in this workspace.");

/**
 * API keys of a tenant, in the tenant's own schema (through its role): each key acts as its own
 * service user, so a `read` or `write` key gets exactly the permissions of a member and an `admin`
 * key those of an admin (while its creator is still an owner or admin: principal.ts), and a key of
 * tenant A is simply unknown in tenant B's schema. Keys are stored only as their SHA-256; the key itself
 * is returned once, at creation. Every change writes its audit entry in the same transaction.
 */
export class ApiKeyService {
  constructor(private readonly deps: { db: Database }) {}

  async create(tenant: TenantRef, actor: Actor, input: CreateApiKeyRequest): Promise<CreatedApiKey> {
    assertCanManage(actor);
    const key = randomToken(API_KEY_PREFIX);
    const id = randomUUID();
    const prefix = key.slice(0, API_KEY_DISPLAY_LENGTH);
    return withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        // RLS lets the tenant role read its own row only.
        const [row] = await db
          .select({ features: tenants.features })
          .from(tenants)
          .where(eq(tenants.id, tenant.id));
        if (!row) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
        if (row.features.apiAccess !== true)
          throw new AppError("FEATURE_NOT_IN_PLAN", "API access is not included in your plan.", {
            feature: "apiAccess",
          });
        if (input.scope === "admin") await assertMayGrantAdmin(db, t, actor);

        const [serviceUser] = await db
          .insert(t.users)
          .values({
            email: `api-key+${id}@service.invalid`,
            name: `API key: ${input.name}`,
            role: input.scope === "admin" ? "admin" : "member",
            isService: true,
            passwordHash: null,
          })
          .returning({ id: t.users.id });
        const [created] = await db
          .insert(t.apiKeys)
          .values({
            id,
            name: input.name,
            prefix,
            keyHash: hashToken(key),
            scope: input.scope,
            serviceUserId: serviceUser!.id,
            createdBy: actor.type === "user" ? (actor.id ?? null) : null,
          })
          .returning();
        await audit(db, tenant.id, actor, {
          action: "api_key.create",
          resourceType: "api_key",
          resourceId: id,
          after: { name: input.name, scope: input.scope, prefix, serviceUserId: serviceUser!.id },
        });
        return {
          key,
          id,
          name: created!.name,
          scope: input.scope,
          prefix,
          createdAt: created!.createdAt,
        };
      },
      tenantActor(actor),
    );
  }

  /** The tenant's keys, newest first (revoked ones too, marked by `revokedAt`). */
  async list(tenant: TenantRef): Promise<ApiKeyView[]> {
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const rows = await db
        .select({
          id: t.apiKeys.id,
          name: t.apiKeys.name,
          scope: t.apiKeys.scope,
          prefix: t.apiKeys.prefix,
          createdBy: t.apiKeys.createdBy,
          lastUsedAt: t.apiKeys.lastUsedAt,
          revokedAt: t.apiKeys.revokedAt,
          createdAt: t.apiKeys.createdAt,
        })
        .from(t.apiKeys)
        .orderBy(desc(t.apiKeys.createdAt), desc(t.apiKeys.id));
      return rows.map((r) => ({ ...r, scope: toScope(r.scope) }));
    });
  }

  /**
   * Revokes a key for good (its service user is deactivated with it). Revoking a revoked key
   * changes nothing; an unknown id, or one of another tenant, is NOT_FOUND.
   */
  async revoke(tenant: TenantRef, actor: Actor, id: string): Promise<ApiKeyView> {
    assertCanManage(actor);
    if (!z.uuid().safeParse(id).success) throw notFound();
    return withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const [current] = await db.select().from(t.apiKeys).where(eq(t.apiKeys.id, id)).for("update");
        if (!current) throw notFound();
        if (current.revokedAt) return toView(current);
        const now = new Date();
        const [updated] = await db
          .update(t.apiKeys)
          .set({ revokedAt: now })
          .where(eq(t.apiKeys.id, id))
          .returning();
        await db
          .update(t.users)
          .set({ deactivatedAt: now, updatedAt: now })
          .where(and(eq(t.users.id, current.serviceUserId), eq(t.users.isService, true)));
        await audit(db, tenant.id, actor, {
          action: "api_key.revoke",
          resourceType: "api_key",
          resourceId: id,
          before: { revokedAt: null },
          after: { name: current.name, scope: current.scope, prefix: current.prefix, revokedAt: now },
        });
        return toView(updated!);
      },
      tenantActor(actor),
    );
  }

  /**
   * The principal of a bearer key in THIS tenant's schema, or null (unknown here, revoked, or its
   * service user deactivated). Records use at most once a minute.
   */
  async authenticate(tenant: TenantRef, bearer: string | null | undefined): Promise<ApiKeyPrincipal | null> {
    if (!bearer?.startsWith(API_KEY_PREFIX) || bearer.length > 200) return null;
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const row = await readActiveKey(db, t, eq(t.apiKeys.keyHash, hashToken(bearer)));
      if (!row) return null;
      if (!row.role)
        throw new AppError(
          "UNAUTHORIZED",
          "This admin API key is no longer valid: the person who created it is no longer an owner or admin of the workspace.",
        );
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_AFTER_MS) {
        // Conditional, so concurrent requests of one key write once.
        await db
          .update(t.apiKeys)
          .set({ lastUsedAt: new Date() })
          .where(
            and(
              eq(t.apiKeys.id, row.id),
              sql`(${t.apiKeys.lastUsedAt} is null or ${t.apiKeys.lastUsedAt} < now() - interval '1 minute')`,
            ),
          );
      }
      return {
        user: { ...row.user, role: row.role, isService: true },
        apiKeyId: row.id,
        scope: row.scope,
      };
    });
  }
}

/**
 * The router checks `apiKeys:manage` already; the service refuses on its own too. Keys are managed by
 * people: a key (even an admin one) neither creates nor revokes keys.
 */
function assertCanManage(actor: Actor) {
  if (isPlatformActor(actor)) return;
  if (actor.type === "api_key") throw new AppError("FORBIDDEN", "API keys cannot manage API keys.");
  if (!actor.role || !can(actor.role, "apiKeys:manage"))
    throw new AppError("FORBIDDEN", "Only workspace owners and admins can manage API keys.");
}

/**
 * An admin key is made only by an owner or admin of the workspace, as they are now (read in the
 * transaction): it holds their admin powers, and only while they do. The platform makes none.
 */
async function assertMayGrantAdmin(db: TenantTx["db"], t: TenantTx["t"], actor: Actor) {
  const refuse = () =>
    new AppError("FORBIDDEN", "Only a workspace owner or admin can create an admin API key.");
  if (actor.type !== "user" || !actor.id || !z.uuid().safeParse(actor.id).success) throw refuse();
  const [me] = await db
    .select({ role: t.users.role })
    .from(t.users)
    .where(and(eq(t.users.id, actor.id), isNull(t.users.deactivatedAt), eq(t.users.isService, false)));
  if (me?.role !== "owner" && me?.role !== "admin") throw refuse();
}

function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}

function toView(r: {
  id: string;
  name: string;
  scope: string;
  prefix: string;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    scope: toScope(r.scope),
    prefix: r.prefix,
    createdBy: r.createdBy,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    createdAt: r.createdAt,
  };
}
