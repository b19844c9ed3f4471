import { type Database, isUniqueViolation, type TenantRef, withTenant } from "@nchat/db";
import { type TenantInvitation, tenantInvitations, tenants } from "@nchat/db/public";
import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { type Actor, audit, isTenantActor } from "../audit/actor";
import type { AuthService, RequestMeta, Session } from "../auth/auth-service";
import { atLeast, canAssign, type Role } from "../auth/permissions";
import { hashToken, randomToken } from "../auth/tokens";
import { AppError } from "../errors";
import { assertWithinLimit } from "../limits/limits";
import type { UsageRecorder } from "../limits/usage";
import { hashPassword } from "../passwords";
import { assertEmailDomainAllowed } from "../tenants/email-domains";
import { recordWebhookEvent } from "../webhooks/events";
import type { InviteInput, NewMemberInput } from "./inputs";
import { assertGuestsAllowed, currentRole, forbidden, parseId, type Tx, tenantActor } from "./rules";
import { type InvitationPreview, type InvitationView, invitationRole, toInvitationView } from "./views";

/** How long an invitation link stays valid (from its creation or its last resend). */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

const invitationNotFound = () => new AppError("NOT_FOUND", "No such invitation in this workspace.");
const invalidLink = () =>
  new AppError("NOT_FOUND", "This invitation link is not valid. It may have been used, revoked or replaced.");

/** `usage`: told when the number of members changes (recounted at its next flush). */
export type InvitationServiceDeps = {
  db: Database;
  auth: AuthService;
  usage?: Pick<UsageRecorder, "touch">;
  /** Outgoing webhooks: woken after an accept that wrote outbox rows (member.joined). */
  webhooks?: { kick(tenant: TenantRef): Promise<void> };
};

/**
 * Invitations: single-use links, stored as hashes in `public.tenant_invitations` (RLS confines the
 * rows to the tenant), sent, resent, revoked and redeemed. All of it runs under the tenant's own
 * role; every administrative change writes its audit entry in the same transaction. The inviter's
 * rights are read from their row as stored now (rules.ts); platform actors act with owner rights.
 */
export class InvitationService {
  constructor(private readonly deps: InvitationServiceDeps) {}

  /**
   * Invites an email with a role. Returns the invitation and its token (shown once: only its hash
   * is stored). An open invitation whose link already expired is replaced by the new one.
   */
  async invite(
    tenant: TenantRef,
    actor: Actor,
    { email, role }: InviteInput,
  ): Promise<{ invitation: InvitationView; token: string }> {
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
        await assertEmailDomainAllowed(db, tenant.id, email, "email");
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
            invitedBy: isTenantActor(actor) ? (actor.id ?? null) : null,
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
        await assertEmailDomainAllowed(db, tenant.id, current.email);
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
  async preview(tenant: TenantRef, token: string): Promise<InvitationPreview> {
    if (!token) throw invalidLink();
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
    { name, password }: NewMemberInput,
    meta: RequestMeta = { ip: null, userAgent: null },
  ): Promise<{ token: string; session: Session }> {
    if (!token) throw invalidLink();
    // Hashed before the transaction: the invitation row stays locked for milliseconds, not for argon2.
    const passwordHash = await hashPassword(password);
    let userId: string;
    let hooks = 0;
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
        // Likewise an address outside the allowed email domains set since.
        await assertEmailDomainAllowed(db, tenant.id, email);
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
        // The invitation was addressed to this email (mailed, or its link handed over by the
        // inviter, who vouches for it): the address counts as verified.
        const user = existing
          ? (
              await db
                .update(t.users)
                .set({ name, passwordHash, role, deactivatedAt: null, emailVerifiedAt: now, updatedAt: now })
                .where(eq(t.users.id, existing.id))
                .returning({ id: t.users.id })
            )[0]!
          : (
              await db
                .insert(t.users)
                .values({ email, name, passwordHash, role, emailVerifiedAt: now })
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
        hooks = await recordWebhookEvent(db, t, {
          type: "member.joined",
          data: { userId: user.id, role, reactivated: Boolean(existing) },
        });
        return user.id;
      });
    } catch (err) {
      // Another path created this email's user between our read and insert.
      if (isUniqueViolation(err, "users_email_key"))
        throw new AppError("CONFLICT", "This email is already a member of this workspace. Sign in instead.");
      throw err;
    }
    this.deps.usage?.touch(tenant);
    if (hooks > 0) await this.deps.webhooks?.kick(tenant);
    return this.deps.auth.createSession(tenant, userId, meta);
  }
}

/** Not accepted, not revoked (expired or not). */
export function openInvitations(tenantId: string) {
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
