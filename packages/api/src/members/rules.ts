import type { TenantActor, TenantTx } from "@nchat/db";
import { tenantSettings } from "@nchat/db/public";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { serviceUserRole } from "../api-keys/principal";
import { type Actor, isPlatformActor, isTenantActor } from "../audit/actor";
import { atLeast, type Role } from "../auth/permissions";
import { AppError } from "../errors";

/** Who may act on whom among a tenant's members, read from the rows as stored now (in the caller's transaction). */

export type Tx = TenantTx["db"];
export type TenantTables = TenantTx["t"];
export type UserRow = TenantTables["users"]["$inferSelect"];

const uuid = z.uuid();

export const memberNotFound = () => new AppError("NOT_FOUND", "No such member in this workspace.");
export const forbidden = (message = "You do not have permission to do this.") =>
  new AppError("FORBIDDEN", message);

/**
 * "Allow guests" (tenant_settings.allow_guest_access) gates every way of making a guest: inviting
 * one, accepting a guest invitation (also one sent while guests were allowed) and changing a
 * member's role to guest. Guests who already joined stay, with their limited access, until an
 * admin removes them or changes their role: turning the setting off stops new guests only.
 */
export const GUESTS_DISABLED_MESSAGE =
  "Guests are not allowed in this workspace. An owner can turn on “Allow guests” in Settings → Security.";
const guestsDisabled = () =>
  new AppError("FORBIDDEN", GUESTS_DISABLED_MESSAGE, { reason: "guests_disabled" });

/** Refuses a guest role while the tenant's "Allow guests" setting is off (read in the caller's transaction). */
export async function assertGuestsAllowed(db: Tx, tenantId: string, role: string): Promise<void> {
  if (role !== "guest") return;
  const [s] = await db
    .select({ allow: tenantSettings.allowGuestAccess })
    .from(tenantSettings)
    .where(eq(tenantSettings.tenantId, tenantId));
  if (!s?.allow) throw guestsDisabled();
}

/** Below the owner, one acts only on members of a lower role (admins cannot demote or remove admins). */
export function assertOutranks(actorRole: Role, targetRole: Role) {
  if (!atLeast(actorRole, "admin")) throw forbidden();
  if (actorRole !== "owner" && atLeast(targetRole, actorRole))
    throw forbidden("Only the owner can change or remove admins.");
}

/**
 * The actor's role now. Users: read (and share-locked) from the tenant's users table, so a role
 * changed or a member removed a moment ago no longer counts; API keys: their key as it is now.
 * Platform actors act as the owner.
 */
export async function currentRole(db: Tx, t: TenantTables, actor: Actor): Promise<Role> {
  if (isPlatformActor(actor)) return "owner";
  if (!isTenantActor(actor) || !actor.id || !uuid.safeParse(actor.id).success) throw forbidden();
  if (actor.type === "api_key") return keyActorRole(db, t, actor.id);
  const [row] = await db
    .select({ role: t.users.role })
    .from(t.users)
    .where(and(eq(t.users.id, actor.id), isNull(t.users.deactivatedAt), eq(t.users.isService, false)))
    .for("share");
  if (!row) throw forbidden();
  return row.role;
}

/**
 * Locks the actor's and the target's user rows in one statement, in id order (two admins acting
 * on each other at once wait instead of deadlocking). The target must be an active human member.
 */
export async function lockActorAndTarget(
  db: Tx,
  t: TenantTables,
  actor: Actor,
  targetId: string,
): Promise<{ actorRole: Role; target: UserRow }> {
  const platform = isPlatformActor(actor);
  if (!platform && (!isTenantActor(actor) || !actor.id || !uuid.safeParse(actor.id).success))
    throw forbidden();
  const ids = platform || actor.id === targetId ? [targetId] : [targetId, actor.id!];
  const rows = await db
    .select()
    .from(t.users)
    .where(inArray(t.users.id, ids))
    .orderBy(asc(t.users.id))
    .for("update");
  let actorRole: Role = "owner";
  if (!platform) {
    const me = rows.find((r) => r.id === actor.id);
    if (!me || me.deactivatedAt || me.isService !== (actor.type === "api_key")) throw forbidden();
    actorRole = actor.type === "api_key" ? await keyActorRole(db, t, me.id) : me.role;
  }
  const target = rows.find((r) => r.id === targetId);
  if (!target || target.deactivatedAt || target.isService) throw memberNotFound();
  return { actorRole, target };
}

/**
 * An API key's role now: its key must still be valid (not revoked; an admin key's creator still an
 * owner or admin, api-keys/principal.ts), read in the caller's transaction.
 */
async function keyActorRole(db: Tx, t: TenantTables, serviceUserId: string): Promise<Role> {
  const role = await serviceUserRole(db, t, serviceUserId);
  if (!role) throw forbidden();
  return role;
}

/** A uuid, lower-cased; anything else is no row of ours. */
export function parseId(raw: string, notFound: () => AppError): string {
  const r = uuid.safeParse(raw);
  if (!r.success) throw notFound();
  return r.data;
}

export function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}
