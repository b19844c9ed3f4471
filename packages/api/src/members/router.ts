import type { TenantRef } from "@nchat/db";
import { userActor } from "../audit/actor";
import { SESSION_COOKIE, secureCookies, sessionCookie } from "../auth/cookies";
import { can } from "../auth/permissions";
import { tenantHostUrl } from "../auth/urls";
import { AppError } from "../errors";
import { rest } from "../openapi/meta";
import { changedRoleOutput, invitedOutput, memberListOutput, okOutput } from "../openapi/outputs";
import { type Context, permissionProcedure, router, tenantProcedure } from "../trpc";
import {
  acceptInvitationInput,
  changeRoleInput,
  invitationIdInput,
  invitationTokenInput,
  inviteInput,
  memberIdInput,
  resendInvitationInput,
} from "./inputs";
import type { InvitationView } from "./views";

/**
 * The link an invitee opens on this tenant's host. There is no mailer yet: outside production the
 * link is written to the server console; the inviter also gets it back to share by hand.
 */
function deliverInvitation(
  ctx: Pick<Context, "services" | "headers">,
  slug: string,
  invitation: InvitationView,
  token: string,
) {
  const acceptUrl = tenantHostUrl(
    ctx.headers,
    ctx.services.tenancy.baseDomain,
    slug,
    `/invite/${encodeURIComponent(token)}`,
    secureCookies(ctx.services.env),
  );
  if (ctx.services.env.NODE_ENV !== "production")
    console.info(`invite link for ${invitation.email}: ${acceptUrl}`);
  return { invitation, token, acceptUrl };
}

type MailCtx = Pick<Context, "services"> & {
  tenant: TenantRef;
  user: { id: string; name: string; isService: boolean };
};

/** Only an inviter whose own address is verified may have the workspace mail others in their name. */
async function assertMayMail(ctx: MailCtx) {
  const status = ctx.user.isService ? null : await ctx.services.accounts.emailStatus(ctx.tenant, ctx.user.id);
  if (!status?.verified)
    throw new AppError(
      "FORBIDDEN",
      "Confirm your own email address first: until then the workspace sends no invitation in your name. Copy the link instead.",
      { reason: "EMAIL_NOT_VERIFIED" },
    );
}

/** Mails an invitation's link to the invitee (queued: the request does not wait for SMTP). */
async function mailInvitation(ctx: MailCtx, sent: ReturnType<typeof deliverInvitation>) {
  await ctx.services.mail.send(ctx.tenant, {
    kind: "invitation",
    to: sent.invitation.email,
    data: {
      acceptUrl: sent.acceptUrl,
      role: sent.invitation.role,
      inviterName: ctx.user.name,
      expiresAt: sent.invitation.expiresAt.toISOString(),
    },
  });
  return { ...sent, emailed: true as const };
}

export const membersRouter = router({
  /** Active members; open invitations only for those who may invite. */
  list: permissionProcedure("members:read")
    .meta(
      rest("GET", "/members", "Members", "Active members (and open invitations, for those who may invite)"),
    )
    .output(memberListOutput)
    .query(async ({ ctx }) => {
      const { members, invitations } = await ctx.services.members.list(ctx.tenant);
      return { members, invitations: can(ctx.user.role, "members:invite") ? invitations : [] };
    }),

  invite: permissionProcedure("members:invite")
    .input(inviteInput)
    .meta(rest("POST", "/members/invitations", "Members", "Invite someone by email"))
    .output(invitedOutput)
    .mutation(async ({ ctx, input }) => {
      const { invitation, token } = await ctx.services.invitations.invite(ctx.tenant, userActor(ctx), input);
      return deliverInvitation(ctx, ctx.tenant.slug, invitation, token);
    }),

  /** Invites as `invite` does, and mails the link to the invitee (the inviter also gets it back). */
  inviteByEmail: permissionProcedure("members:invite")
    .input(inviteInput)
    .mutation(async ({ ctx, input }) => {
      await assertMayMail(ctx);
      const { invitation, token } = await ctx.services.invitations.invite(ctx.tenant, userActor(ctx), input);
      return mailInvitation(ctx, deliverInvitation(ctx, ctx.tenant.slug, invitation, token));
    }),

  /** A fresh link and 7 more days; the previous link stops working. */
  resend: permissionProcedure("members:invite")
    .input(resendInvitationInput)
    .mutation(async ({ ctx, input }) => {
      if (input.sendEmail) await assertMayMail(ctx);
      const { invitation, token } = await ctx.services.invitations.resend(
        ctx.tenant,
        userActor(ctx),
        input.id,
      );
      const sent = deliverInvitation(ctx, ctx.tenant.slug, invitation, token);
      return input.sendEmail ? mailInvitation(ctx, sent) : sent;
    }),

  revoke: permissionProcedure("members:invite")
    .input(invitationIdInput)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.invitations.revoke(ctx.tenant, userActor(ctx), input.id);
      return { ok: true };
    }),

  changeRole: permissionProcedure("members:changeRole")
    .input(changeRoleInput)
    .meta(rest("PATCH", "/members/{userId}", "Members", "Change a member's role"))
    .output(changedRoleOutput)
    .mutation(async ({ ctx, input }) => ({
      member: await ctx.services.members.changeRole(ctx.tenant, userActor(ctx), input.userId, input.role),
    })),

  /** Turns off a member's lost second factor (admins: members and guests; the owner: admins too). */
  resetTwoFactor: permissionProcedure("members:changeRole")
    .input(memberIdInput)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.members.resetTwoFactor(ctx.tenant, userActor(ctx), input.userId);
      return { ok: true };
    }),

  /** Deactivates the member (their messages stay) and ends their sessions. */
  remove: permissionProcedure("members:remove")
    .input(memberIdInput)
    .meta(rest("DELETE", "/members/{userId}", "Members", "Remove (deactivate) a member"))
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.members.remove(ctx.tenant, userActor(ctx), input.userId);
      return { ok: true };
    }),

  /** The accept page (signed out): whose workspace, which email and role, and whether it expired. */
  invitation: tenantProcedure
    .input(invitationTokenInput)
    .query(({ ctx, input }) => ctx.services.invitations.preview(ctx.tenant, input.token)),

  /** Redeems the invitation and signs the new member in on this host. */
  acceptInvitation: tenantProcedure.input(acceptInvitationInput).mutation(async ({ ctx, input }) => {
    const { token, session } = await ctx.services.invitations.accept(
      ctx.tenant,
      input.token,
      { name: input.name, password: input.password },
      ctx.meta,
    );
    ctx.resHeaders.append(
      "set-cookie",
      sessionCookie(SESSION_COOKIE, token, session.expiresAt, secureCookies(ctx.services.env)),
    );
    return { user: session.user };
  }),
});
