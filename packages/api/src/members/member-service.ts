import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { tenantInvitations } from "@nchat/db/public";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { type Actor, audit, isPlatformActor } from "../audit/actor";
import type { AuthService } from "../auth/auth-service";
import { canAssign } from "../auth/permissions";
import { AppError } from "../errors";
import type { UsageRecorder } from "../limits/usage";
import { clearSecondFactor } from "../two-factor/codes";
import { recordWebhookEvent } from "../webhooks/events";
import type { AssignableRole } from "./inputs";
import { openInvitations } from "./invitation-service";
import {
  assertGuestsAllowed,
  assertOutranks,
  forbidden,
  lockActorAndTarget,
  memberNotFound,
  parseId,
  tenantActor,
} from "./rules";
import { type InvitationView, type MemberView, toInvitationView, toMemberView } from "./views";

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
  /** Outgoing webhooks: woken after a change that wrote outbox rows (member.role_changed, member.left). */
  webhooks?: { kick(tenant: TenantRef): Promise<void> };
};

/**
 * Who belongs to a tenant: the member list, role changes, second-factor resets and removals (joining
 * is invitation-service.ts). All of it runs under the tenant's own role; every administrative change
 * writes its audit entry in the same transaction.
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
   * Gives a member another role (admin, member, guest). Not the owner's, not one's own; admins act
   * only on members and guests, and only the owner makes admins. The member stays signed in: the
   * cached copies of their sessions are dropped in every process, so the next request of each of
   * them is authorized with the new role (permissions are re-checked, nothing typed is lost).
   */
  async changeRole(
    tenant: TenantRef,
    actor: Actor,
    userId: string,
    next: AssignableRole,
  ): Promise<MemberView> {
    const id = parseId(userId, memberNotFound);
    let hooks = 0;
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
        hooks = await recordWebhookEvent(db, t, {
          type: "member.role_changed",
          data: { userId: id, role: next, previousRole: target.role, actorId: actor.id ?? null },
        });
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
    if (hooks > 0) await this.deps.webhooks?.kick(tenant);
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
    let hooks = 0;
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
        hooks = await recordWebhookEvent(db, t, {
          type: "member.left",
          data: { userId: id, removedBy: actor.id ?? null },
        });
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
    if (hooks > 0) await this.deps.webhooks?.kick(tenant);
  }
}
