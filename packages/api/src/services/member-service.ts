import {
  type Database,
  isUniqueViolation,
  type TenantActor,
  type TenantRef,
  type TenantTx,
  withTenant,
} from "@nchat/db";
import { type TenantInvitation, tenantInvitations, tenantSettings, tenants } from "@nchat/db/public";
import { and, asc, desc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { atLeast, canAssign, type Role } from "../auth/permissions";
import { hashToken, randomToken } from "../auth/tokens";
import { AppError } from "../errors";
import { assertWithinLimit } from "../limits/limits";
import type { UsageRecorder } from "../limits/usage";
import { hashPassword } from "../passwords";
import { type Actor, audit, isPlatformActor } from "./actor";
import type { AuthService, RequestMeta, Session } from "./auth-service";
import { clearSecondFactor } from "./two-factor-service";

/** How long an invitation link stays valid (from its creation or its last resend). */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

/** Roles an invitation or a role change may hand out: ownership moves by transfer, never by role. */
export const ASSIGNABLE_ROLES = ["admin", "member", "guest"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

const assignableRole = z.enum(ASSIGNABLE_ROLES, {
  error: "Choose a role: admin, member or guest (ownership is transferred, not assigned).",
});

export const inviteInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
  role: assignableRole,
});
export type InviteRequest = z.input<typeof inviteInput>;

export const acceptInvitationInput = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  password: z.string().min(10, "Use a password of at least 10 characters.").max(200),
});
export type AcceptInvitationRequest = z.input<typeof acceptInvitationInput>;

export const changeRoleInput = z.object({ role: assignableRole });

/** An active (not deactivated), human member of the tenant. */
export type MemberView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastSeenAt: Date | null;
  /** Signs in with a second factor (TOTP). */
  twoFactor: boolean;
};

/** An open invitation (not accepted, not revoked; `expiresAt` may be past: it can be resent). */
export type InvitationView = {
  id: string;
  email: string;
  role: AssignableRole;
  expiresAt: Date;
  createdAt: Date;
  invitedBy: string | null;
};

/** What the accept page shows before the invitee chooses a name and password. */
export type InvitationPreview = { email: string; role: AssignableRole; tenantName: string; expired: boolean };

/**
 * `usage`: told when the number of members changes (their count is recounted at its next flush).
 * `sessions`: the session cache of every process; a role change drops the member's cached sessions
 * there, so their next request reads the new role (their sessions go on).
 */
export type MemberServiceDeps = {
  db: Database;
  auth: AuthService;
  usage?: Pick<UsageRecorder, "touch">;
  sessions?: { revoke(target: { tenantId: string; userId?: string }): Promise<void> };
};

type Tx = TenantTx["db"];
type TenantTables = TenantTx["t"];
type UserRow = TenantTables["users"]["$inferSelect"];

const uuid = z.uuid();
/** Invitation tokens are 43 characters; anything much longer is not one of ours. */
const MAX_TOKEN_LENGTH = 200;

const memberNotFound = () => new AppError("NOT_FOUND", "No such member in this workspace.");
const invitationNotFound = () => new AppError("NOT_FOUND", "No such invitation in this workspace.");
const invalidLink = () =>
  new AppError("NOT_FOUND", "This invitation link is not valid. It may have been used, revoked or replaced.");
const forbidden = (message = "You do not have permission to do this.") => new AppError("FORBIDDEN", message);

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
async function assertGuestsAllowed(db: Tx, tenantId: string, role: string): Promise<void> {
  if (role !== "guest") return;
  const [s] = await db
    .select({ allow: tenantSettings.allowGuestAccess })
    .from(tenantSettings)
    .where(eq(tenantSettings.tenantId, tenantId));
  if (!s?.allow) throw guestsDisabled();
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new AppError("VALIDATION_FAILED", r.error.issues[0]?.message ?? "Invalid input.", {
    fields: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

/**
 * Who belongs to a tenant: the member list, invitations (single-use links, stored as hashes in
 * `public.tenant_invitations`, which RLS confines to the tenant), role changes and removals. All
 * of it runs under the tenant's own role; every administrative change writes its audit entry in
 * the same transaction.
 *
 * Authorization is decided here from the actor's role *as stored now* (read and locked inside the
 * transaction), not only from the session's copy: `can`/`canAssign` from auth/permissions, plus
 * "only the owner acts on admins". Platform actors (system, super admin) act with owner rights.
 */
export class MemberService {
  constructor(private readonly deps: MemberServiceDeps) {}

  /** Active human members (oldest first) and open invitations (newest first). */
  async list(tenant: TenantRef): Promise<{ members: MemberView[]; invitations: InvitationView[] }> {
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const members = await db
        .select({
          id: t.users.id,
          email: t.users.email,
          name: t.users.name,
          role: t.users.role,
          createdAt: t.users.createdAt,
          lastSeenAt: t.users.lastSeenAt,
          twoFactor: sql<boolean>`${t.users.totpEnabledAt} is not null`,
        })
        .from(t.users)
        .where(and(isNull(t.users.deactivatedAt), eq(t.users.isService, false)))
        .orderBy(asc(t.users.createdAt), asc(t.users.id));
      const invitations = await db
        .select()
        .from(tenantInvitations)
        .where(openInvitations(tenant.id))
        .orderBy(desc(tenantInvitations.createdAt), desc(tenantInvitations.id));
      return { members, invitations: invitations.map(toInvitationView) };
    });
  }

  /**
   * Invites an email with a role. Returns the invitation and its token (shown once: only its hash
   * is stored). An open invitation whose link already expired is replaced by the new one.
   */
  async invite(
    tenant: TenantRef,
    actor: Actor,
    request: unknown,
  ): Promise<{ invitation: InvitationView; token: string }> {
    const { email, role } = parse(inviteInput, request);
    const token = randomToken();
    const row = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const actorRole = await currentRole(db, t, actor);
        if (!atLeast(actorRole, "admin")) throw forbidden("Only owners and admins can invite people.");
        if (!canAssign(actorRole, role))
          throw forbidden(
            role === "admin" ? "Only the owner can invite admins." : "You cannot invite with this role.",
          );
        await assertGuestsAllowed(db, tenant.id, role);
        // One open invitation per email: concurrent invites of one address queue here.
        await db.execute(
          sql`select pg_advisory_xact_lock(hashtextextended(${`nchat:invite:${tenant.id}:${email}`}, 0))`,
        );
        const [existing] = await db
          .select({ id: t.users.id })
          .from(t.users)
          .where(
            and(
              sql`lower(${t.users.email}) = ${email}`,
              sql`(${t.users.deactivatedAt} is null or ${t.users.isService})`,
            ),
          );
        if (existing) throw new AppError("CONFLICT", `${email} is already a member of this workspace.`);
        // The email's open invitations, locked: a concurrent resend of one of them finishes first.
        const open = await db
          .select()
          .from(tenantInvitations)
          .where(and(openInvitations(tenant.id), eq(tenantInvitations.email, email)))
          .for("update");
        const now = new Date();
        const pending = open.find((i) => i.expiresAt > now);
        if (pending)
          throw new AppError(
            "CONFLICT",
            `${email} already has a pending invitation. Resend it instead of inviting again.`,
            { invitationId: pending.id },
          );
        // Expired, never-used invitations of this email make way for the new one.
        if (open.length > 0)
          await db
            .update(tenantInvitations)
            .set({ revokedAt: now })
            .where(
              inArray(
                tenantInvitations.id,
                open.map((i) => i.id),
              ),
            );
        // A pending invitation holds a seat: it counts against the plan's user limit.
        await assertWithinLimit(db, tenant, "users");
        const [created] = await db
          .insert(tenantInvitations)
          .values({
            tenantId: tenant.id,
            email,
            role,
            tokenHash: hashToken(token),
            invitedBy: actor.type === "user" ? (actor.id ?? null) : null,
            expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
          })
          .returning();
        await audit(db, tenant.id, actor, {
          action: "member.invite",
          resourceType: "invitation",
          resourceId: created!.id,
          after: { email, role },
        });
        return created!;
      },
      tenantActor(actor),
    );
    return { invitation: toInvitationView(row), token };
  }

  /** A new link (new token, 7 more days) for an open invitation; the previous link stops working. */
  async resend(
    tenant: TenantRef,
    actor: Actor,
    invitationId: string,
  ): Promise<{ invitation: InvitationView; token: string }> {
    const id = parseId(invitationId, invitationNotFound);
    const token = randomToken();
    const row = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const actorRole = await currentRole(db, t, actor);
        const current = await lockOpenInvitation(db, tenant.id, id);
        assertCanManageInvitation(actorRole, current);
        await assertGuestsAllowed(db, tenant.id, current.role);
        const [updated] = await db
          .update(tenantInvitations)
          .set({ tokenHash: hashToken(token), expiresAt: new Date(Date.now() + INVITATION_TTL_MS) })
          .where(eq(tenantInvitations.id, id))
          .returning();
        await audit(db, tenant.id, actor, {
          action: "member.reinvite",
          resourceType: "invitation",
          resourceId: id,
          before: { email: current.email, role: current.role, expiresAt: current.expiresAt },
          after: { email: updated!.email, role: updated!.role, expiresAt: updated!.expiresAt },
        });
        return updated!;
      },
      tenantActor(actor),
    );
    return { invitation: toInvitationView(row), token };
  }

  /** Withdraws an open invitation: its link stops working. */
  async revoke(tenant: TenantRef, actor: Actor, invitationId: string): Promise<void> {
    const id = parseId(invitationId, invitationNotFound);
    await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const actorRole = await currentRole(db, t, actor);
        const current = await lockOpenInvitation(db, tenant.id, id);
        assertCanManageInvitation(actorRole, current);
        await db.update(tenantInvitations).set({ revokedAt: new Date() }).where(eq(tenantInvitations.id, id));
        await audit(db, tenant.id, actor, {
          action: "member.invite_revoke",
          resourceType: "invitation",
          resourceId: id,
          before: { email: current.email, role: current.role },
        });
      },
      tenantActor(actor),
    );
  }

  /** For the accept page. Unknown, revoked, replaced or used tokens are NOT_FOUND; expired ones say so. */
  async previewInvitation(tenant: TenantRef, token: string): Promise<InvitationPreview> {
    if (!token || token.length > MAX_TOKEN_LENGTH) throw invalidLink();
    return withTenant(this.deps.db, tenant, async ({ db }) => {
      const [row] = await db
        .select({ invitation: tenantInvitations, tenantName: tenants.name })
        .from(tenantInvitations)
        .innerJoin(tenants, eq(tenants.id, tenantInvitations.tenantId))
        .where(and(openInvitations(tenant.id), eq(tenantInvitations.tokenHash, hashToken(token))));
      if (!row) throw invalidLink();
      return {
        email: row.invitation.email,
        role: invitationRole(row.invitation),
        tenantName: row.tenantName,
        expired: row.invitation.expiresAt.getTime() <= Date.now(),
      };
    });
  }

  /**
   * Redeems an invitation, once: in one transaction the invitation row is locked, checked, and
   * consumed, the user is created with the invited role (a previously removed user of that email
   * is reactivated) and joins the default channels. Then the new member is signed in.
   */
  async accept(
    tenant: TenantRef,
    token: string,
    request: unknown,
    meta: RequestMeta = { ip: null, userAgent: null },
  ): Promise<{ token: string; session: Session }> {
    if (!token || token.length > MAX_TOKEN_LENGTH) throw invalidLink();
    const { name, password } = parse(acceptInvitationInput, request);
    // Hashed before the transaction: the invitation row stays locked for milliseconds, not for argon2.
    const passwordHash = await hashPassword(password);
    let userId: string;
    try {
      userId = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
        const [invitation] = await db
          .select()
          .from(tenantInvitations)
          .where(
            and(eq(tenantInvitations.tenantId, tenant.id), eq(tenantInvitations.tokenHash, hashToken(token))),
          )
          .for("update");
        // Re-read after the lock: a concurrent accept that committed first is seen here.
        if (!invitation || invitation.acceptedAt || invitation.revokedAt) throw invalidLink();
        if (invitation.expiresAt.getTime() <= Date.now())
          throw new AppError(
            "VALIDATION_FAILED",
            "This invitation has expired. Ask a workspace admin to send you a new one.",
            { reason: "invitation_expired" },
          );
        const role = invitationRole(invitation);
        // A guest invitation sent while guests were allowed is refused once they are not.
        await assertGuestsAllowed(db, tenant.id, role);
        const email = invitation.email;
        // The seat becomes a member: refused if the active members alone already fill the plan
        // (e.g. after a downgrade). Exact under concurrent accepts.
        await assertWithinLimit(db, tenant, "users", 1, {
          used: async () => {
            const [r] = await db
              .select({ n: sql<number>`count(*)::int` })
              .from(t.users)
              .where(and(isNull(t.users.deactivatedAt), eq(t.users.isService, false)));
            return r?.n ?? 0;
          },
        });

        const [existing] = await db
          .select()
          .from(t.users)
          .where(sql`lower(${t.users.email}) = ${email}`)
          .for("update");
        if (existing && (!existing.deactivatedAt || existing.isService))
          throw new AppError("CONFLICT", `${email} is already a member of this workspace. Sign in instead.`);
        const now = new Date();
        const user = existing
          ? (
              await db
                .update(t.users)
                .set({ name, passwordHash, role, deactivatedAt: null, updatedAt: now })
                .where(eq(t.users.id, existing.id))
                .returning({ id: t.users.id })
            )[0]!
          : (
              await db
                .insert(t.users)
                .values({ email, name, passwordHash, role })
                .returning({ id: t.users.id })
            )[0]!;

        const defaults = await db
          .select({ id: t.channels.id })
          .from(t.channels)
          .where(
            and(eq(t.channels.isDefault, true), isNull(t.channels.archivedAt), ne(t.channels.kind, "dm")),
          );
        if (defaults.length > 0)
          await db
            .insert(t.channelMembers)
            .values(defaults.map((c) => ({ channelId: c.id, userId: user.id })))
            .onConflictDoNothing();

        await db
          .update(tenantInvitations)
          .set({ acceptedAt: now })
          .where(eq(tenantInvitations.id, invitation.id));
        await audit(
          db,
          tenant.id,
          {
            type: "user",
            id: user.id,
            email,
            ip: meta.ip ?? undefined,
            userAgent: meta.userAgent ?? undefined,
          },
          {
            action: "member.join",
            resourceType: "user",
            resourceId: user.id,
            before: existing ? { role: existing.role, deactivatedAt: existing.deactivatedAt } : null,
            after: { email, name, role, invitationId: invitation.id, reactivated: Boolean(existing) },
          },
        );
        return user.id;
      });
    } catch (err) {
      // Another path created this email's user between our read and insert.
      if (isUniqueViolation(err, "users_email_key"))
        throw new AppError("CONFLICT", "This email is already a member of this workspace. Sign in instead.");
      throw err;
    }
    this.deps.usage?.touch(tenant);
    return this.deps.auth.createSession(tenant, userId, meta);
  }

  /**
   * Gives a member another role (admin, member, guest). Not the owner's, not one's own; admins act
   * only on members and guests, and only the owner makes admins. The member stays signed in: the
   * cached copies of their sessions are dropped in every process, so the next request of each of
   * them is authorized with the new role (permissions are re-checked, nothing typed is lost).
   */
  async changeRole(tenant: TenantRef, actor: Actor, userId: string, role: unknown): Promise<MemberView> {
    const id = parseId(userId, memberNotFound);
    const { role: next } = parse(changeRoleInput, { role });
    const { member, changed } = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const { actorRole, target } = await lockActorAndTarget(db, t, actor, id);
        if (target.id === actor.id) throw forbidden("You cannot change your own role.");
        if (target.role === "owner")
          throw forbidden("The owner's role cannot be changed; ownership is transferred instead.");
        assertOutranks(actorRole, target.role);
        if (!canAssign(actorRole, next))
          throw forbidden(
            next === "admin" ? "Only the owner can make admins." : "You cannot assign this role.",
          );
        if (target.role === next) return { member: toMemberView(target), changed: false };
        await assertGuestsAllowed(db, tenant.id, next);
        const [updated] = await db
          .update(t.users)
          .set({ role: next, updatedAt: new Date() })
          .where(eq(t.users.id, id))
          .returning();
        await audit(db, tenant.id, actor, {
          action: "member.role_change",
          resourceType: "user",
          resourceId: id,
          before: { email: target.email, role: target.role },
          after: { email: target.email, role: next },
        });
        return { member: toMemberView(updated!), changed: true };
      },
      tenantActor(actor),
    );
    if (changed) await this.deps.sessions?.revoke({ tenantId: tenant.id, userId: id });
    return member;
  }

  /**
   * Turns off a member's second factor when they lost it (phone and recovery codes): an admin for
   * members and guests, the owner for admins, a super admin for the owner. Their sessions end; they
   * sign in with the password and, where the workspace requires it, set it up again at once.
   */
  async resetTwoFactor(tenant: TenantRef, actor: Actor, userId: string): Promise<void> {
    const id = parseId(userId, memberNotFound);
    await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const { actorRole, target } = await lockActorAndTarget(db, t, actor, id);
        if (target.id === actor.id)
          throw forbidden("Turn your own two-factor authentication off in your profile.");
        if (target.role === "owner" && !isPlatformActor(actor))
          throw forbidden("Only the platform's support can reset the owner's two-factor authentication.");
        assertOutranks(actorRole, target.role);
        if (!target.totpEnabledAt && !target.totpSecret)
          throw new AppError("CONFLICT", `${target.name} has no two-factor authentication to reset.`);
        await clearSecondFactor({ db, t }, id);
        await audit(db, tenant.id, actor, {
          action: "member.two_factor_reset",
          resourceType: "user",
          resourceId: id,
          before: { email: target.email, twoFactor: Boolean(target.totpEnabledAt) },
          after: { email: target.email, twoFactor: false },
        });
      },
      tenantActor(actor),
    );
    await this.deps.auth.revokeUserSessions(tenant, id);
  }

  /**
   * Removes a member: deactivated (their messages stay), signed out everywhere. Not the owner, not
   * oneself; admins remove only members and guests. Re-inviting the email later reactivates them.
   */
  async remove(tenant: TenantRef, actor: Actor, userId: string): Promise<void> {
    const id = parseId(userId, memberNotFound);
    await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const { actorRole, target } = await lockActorAndTarget(db, t, actor, id);
        if (target.id === actor.id) throw forbidden("You cannot remove yourself from the workspace.");
        if (target.role === "owner") throw forbidden("The owner cannot be removed from the workspace.");
        assertOutranks(actorRole, target.role);
        const now = new Date();
        await db.update(t.users).set({ deactivatedAt: now, updatedAt: now }).where(eq(t.users.id, id));
        await audit(db, tenant.id, actor, {
          action: "member.remove",
          resourceType: "user",
          resourceId: id,
          before: { email: target.email, name: target.name, role: target.role },
          after: { deactivatedAt: now },
        });
      },
      tenantActor(actor),
    );
    this.deps.usage?.touch(tenant);
    await this.deps.auth.revokeUserSessions(tenant, id);
  }
}

/** Not accepted, not revoked (expired or not). */
function openInvitations(tenantId: string) {
  return and(
    eq(tenantInvitations.tenantId, tenantId),
    isNull(tenantInvitations.acceptedAt),
    isNull(tenantInvitations.revokedAt),
  );
}

async function lockOpenInvitation(db: Tx, tenantId: string, id: string): Promise<TenantInvitation> {
  const [row] = await db
    .select()
    .from(tenantInvitations)
    .where(and(openInvitations(tenantId), eq(tenantInvitations.id, id)))
    .for("update");
  if (!row) throw invitationNotFound();
  return row;
}

/** Managing an invitation (resend, revoke) needs the right to hand out its role. */
function assertCanManageInvitation(actorRole: Role, invitation: TenantInvitation) {
  if (!atLeast(actorRole, "admin")) throw forbidden("Only owners and admins can manage invitations.");
  if (!canAssign(actorRole, invitationRole(invitation)))
    throw forbidden("Only the owner can manage invitations of admins.");
}

/** Below the owner, one acts only on members of a lower role (admins cannot demote or remove admins). */
function assertOutranks(actorRole: Role, targetRole: Role) {
  if (!atLeast(actorRole, "admin")) throw forbidden();
  if (actorRole !== "owner" && atLeast(targetRole, actorRole))
    throw forbidden("Only the owner can change or remove admins.");
}

/**
 * The actor's role now. Users: read (and share-locked) from the tenant's users table, so a role
 * changed or a member removed a moment ago no longer counts. Platform actors act as the owner.
 */
async function currentRole(db: Tx, t: TenantTables, actor: Actor): Promise<Role> {
  if (isPlatformActor(actor)) return "owner";
  if (actor.type !== "user" || !actor.id || !uuid.safeParse(actor.id).success) throw forbidden();
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
async function lockActorAndTarget(
  db: Tx,
  t: TenantTables,
  actor: Actor,
  targetId: string,
): Promise<{ actorRole: Role; target: UserRow }> {
  const platform = isPlatformActor(actor);
  if (!platform && (actor.type !== "user" || !actor.id || !uuid.safeParse(actor.id).success))
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
    if (!me || me.deactivatedAt || me.isService) throw forbidden();
    actorRole = me.role;
  }
  const target = rows.find((r) => r.id === targetId);
  if (!target || target.deactivatedAt || target.isService) throw memberNotFound();
  return { actorRole, target };
}

function parseId(raw: string, notFound: () => AppError): string {
  const r = uuid.safeParse(raw);
  if (!r.success) throw notFound();
  return r.data;
}

function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}

function invitationRole(row: Pick<TenantInvitation, "role">): AssignableRole {
  const r = assignableRole.safeParse(row.role);
  // Rows are written by this service only; anything unexpected gets the least privilege.
  return r.success ? r.data : "guest";
}

function toInvitationView(row: TenantInvitation): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: invitationRole(row),
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    invitedBy: row.invitedBy,
  };
}

function toMemberView(u: UserRow): MemberView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    createdAt: u.createdAt,
    lastSeenAt: u.lastSeenAt,
    twoFactor: u.totpEnabledAt !== null,
  };
}
