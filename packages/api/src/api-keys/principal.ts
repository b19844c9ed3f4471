import type { TenantTx } from "@nchat/db";
import { and, eq, isNull, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Role } from "../auth/permissions";
import type { ApiKeyScope } from "./inputs";

type Tx = TenantTx["db"];
type TenantTables = TenantTx["t"];

/** Anything but an explicit "write" or "admin" is read-only. */
export const toScope = (s: string): ApiKeyScope => (s === "write" || s === "admin" ? s : "read");

/**
 * The role a key acts with: a member's for `read` and `write` keys; an admin's for an `admin` key
 * while the person who created it is still an active owner or admin of the workspace — demoted,
 * removed (or gone), and the key is no longer valid (null). Never the owner's.
 */
export function keyRole(scope: ApiKeyScope, creatorRole: Role | null): Role | null {
  if (scope !== "admin") return "member";
  return creatorRole === "owner" || creatorRole === "admin" ? "admin" : null;
}

/**
 * A key that is not revoked, with its active service user and the role its creator holds now
 * (null: no active human creator), read in the caller's transaction.
 */
export async function readActiveKey(db: Tx, t: TenantTables, where: SQL | undefined) {
  const creator = alias(t.users, "creator");
  const [row] = await db
    .select({
      id: t.apiKeys.id,
      scope: t.apiKeys.scope,
      lastUsedAt: t.apiKeys.lastUsedAt,
      user: { id: t.users.id, email: t.users.email, name: t.users.name, role: t.users.role },
      creatorRole: creator.role,
    })
    .from(t.apiKeys)
    .innerJoin(t.users, eq(t.users.id, t.apiKeys.serviceUserId))
    .leftJoin(
      creator,
      and(eq(creator.id, t.apiKeys.createdBy), isNull(creator.deactivatedAt), eq(creator.isService, false)),
    )
    .where(
      and(where, isNull(t.apiKeys.revokedAt), isNull(t.users.deactivatedAt), eq(t.users.isService, true)),
    );
  if (!row) return null;
  const scope = toScope(row.scope);
  return { ...row, scope, role: keyRole(scope, row.creatorRole) };
}

/** The role the key whose service user is `serviceUserId` acts with now, or null (no valid key). */
export async function serviceUserRole(db: Tx, t: TenantTables, serviceUserId: string): Promise<Role | null> {
  const key = await readActiveKey(db, t, eq(t.apiKeys.serviceUserId, serviceUserId));
  return key?.role ?? null;
}
