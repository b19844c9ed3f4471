import { createHash } from "node:crypto";
import { z } from "zod";
import { AUTH_POLICIES, addressBucket } from "../ratelimit/policies";
import { authedProcedure, type Context, enforceRateLimit, router, tenantProcedure } from "../trpc";
import { secureCookies } from "./cookies";
import { tenantHostUrl } from "./urls";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, "Enter an email address.")
  .max(254)
  .email("Enter an email address.");
const token = z.string().min(1).max(200);
const password = z.string().min(10, "Use a password of at least 10 characters.").max(200);

/** Where links of mails of this workspace point: its own host, as the request reached it. */
export const tenantOrigin = (ctx: Pick<Context, "services" | "headers">, slug: string) =>
  tenantHostUrl(ctx.headers, ctx.services.tenancy.baseDomain, slug, "", secureCookies(ctx.services.env));

const ipBucket = (ctx: Pick<Context, "meta"> & { tenant: { id: string } }) =>
  `{${ctx.tenant.id}}:ip:${addressBucket(ctx.meta.ip)}`;

/** Per-account buckets hash the address: the same for accounts that exist and those that do not. */
const accountBucket = (tenantId: string, address: string) =>
  `{${tenantId}}:account:${createHash("sha256").update(address).digest("hex").slice(0, 32)}`;

/**
 * Password reset and email verification. The reset request answers the same for every address
 * (the lookup happens in the background); tokens are single-use, hashed, expiring and valid on the
 * issuing workspace's host only.
 */
export const accountRouter = router({
  /** "Forgot password": a reset link by mail when the address is an account's; always `{ ok: true }`. */
  requestPasswordReset: tenantProcedure
    .meta({ access: "signIn" })
    .input(z.object({ email }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, [
        [AUTH_POLICIES.resetPerIp, ipBucket(ctx)],
        [AUTH_POLICIES.resetPerAccount, accountBucket(ctx.tenant.id, input.email)],
      ]);
      await ctx.services.accounts.requestPasswordReset(
        ctx.tenant,
        input.email,
        tenantOrigin(ctx, ctx.tenant.slug),
      );
      return { ok: true as const };
    }),

  /** Sets a new password with the mailed token; every session of the account ends. */
  resetPassword: tenantProcedure
    .meta({ access: "signIn" })
    .input(z.object({ token, password }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, [[AUTH_POLICIES.resetPerIp, ipBucket(ctx)]]);
      await ctx.services.accounts.resetPassword(ctx.tenant, input.token, input.password);
      return { ok: true as const };
    }),

  /** Confirms an address with the mailed token (signed in or not). */
  verifyEmail: tenantProcedure
    .meta({ access: "public" })
    .input(z.object({ token }))
    .mutation(async ({ ctx, input }) => ctx.services.accounts.verifyEmail(ctx.tenant, input.token)),

  /** The signed-in user's address and whether it is verified (the banner), and a pending change. */
  emailStatus: authedProcedure
    .meta({ access: "public", twoFactor: "enrolment" })
    .query(({ ctx }) => ctx.services.accounts.emailStatus(ctx.tenant, ctx.user.id)),

  /** Mails the verification link again (at most 5 an hour per account). */
  resendVerification: authedProcedure
    .meta({ access: "public", twoFactor: "enrolment" })
    .mutation(async ({ ctx }) => {
      await enforceRateLimit(ctx, [
        [AUTH_POLICIES.verificationPerAccount, `{${ctx.tenant.id}}:user:${ctx.user.id}`],
      ]);
      const sent = await ctx.services.accounts.sendVerification(
        ctx.tenant,
        ctx.user.id,
        tenantOrigin(ctx, ctx.tenant.slug),
      );
      return { sent };
    }),

  /** Starts a change of address: the password, then the link mailed to the new address. */
  changeEmail: authedProcedure
    .input(z.object({ email, password: z.string().min(1, "Enter your password.").max(200) }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, [
        [AUTH_POLICIES.verificationPerAccount, `{${ctx.tenant.id}}:user:${ctx.user.id}`],
      ]);
      await ctx.services.accounts.changeEmail(
        ctx.tenant,
        ctx.user.id,
        input,
        tenantOrigin(ctx, ctx.tenant.slug),
      );
      return { ok: true as const };
    }),
});
