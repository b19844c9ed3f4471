import { SLUG_MESSAGES, slugProblem } from "@nchat/db";
import { z } from "zod";
import { AppError } from "../errors";
import { AUTH_POLICIES } from "../ratelimit/policies";
import { assertSlugUsable, createTenantInput } from "../tenants/tenant-service";
import { enforceRateLimit, publicProcedure, router, tenantProcedure } from "../trpc";
import { codeInput } from "../two-factor/inputs";
import { twoFactorService } from "../two-factor/two-factor-service";
import { tenantOrigin } from "./account-router";
import { mustEnrolTwoFactor, signInInput } from "./auth-service";
import {
  clearCookie,
  readCookie,
  SESSION_COOKIE,
  secureCookies,
  sessionCookie,
  TWO_FACTOR_COOKIE,
} from "./cookies";
import {
  DEVICE_COOKIE,
  DEVICE_COOKIE_TTL_MS,
  deviceAccount,
  deviceKey,
  issueDeviceToken,
} from "./device-cookie";
import { tenantHostUrl } from "./urls";

type DeviceCtx = {
  services: { masterKey: Parameters<typeof deviceKey>[0]; env: { NODE_ENV?: string } };
  tenant: { id: string };
  headers: Headers;
  resHeaders: Headers;
};
/** The account this browser signed in to before on this workspace (device cookie), if any. */
const knownDevice = (ctx: DeviceCtx) =>
  deviceAccount(deviceKey(ctx.services.masterKey), ctx.tenant.id, readCookie(ctx.headers, DEVICE_COOKIE));
/** After a complete sign-in: this browser is the account's own from now on. */
const rememberDevice = (ctx: DeviceCtx, userId: string) =>
  ctx.resHeaders.append(
    "set-cookie",
    sessionCookie(
      DEVICE_COOKIE,
      issueDeviceToken(deviceKey(ctx.services.masterKey), ctx.tenant.id, userId),
      new Date(Date.now() + DEVICE_COOKIE_TTL_MS),
      secureCookies(ctx.services.env),
    ),
  );

export const authRouter = router({
  /** Live check for the sign-up form. */
  slugAvailable: publicProcedure
    .input(z.object({ slug: z.string().max(100) }))
    .query(async ({ ctx, input }) => {
      const problem = slugProblem(input.slug);
      if (problem) return { available: false, reason: SLUG_MESSAGES[problem] };
      const taken = await ctx.services.resolver.bySlug(input.slug);
      return taken
        ? { available: false, reason: "This workspace address is already taken." }
        : { available: true, reason: null };
    }),

  /**
   * Creates a workspace on the Free plan with its owner, from the base domain. The owner continues
   * signed in on the new tenant host through `continueUrl` (a single-use, 2-minute link).
   */
  signUp: publicProcedure
    // Before the input is read: every attempt from an address counts, a form refused as invalid too.
    .use(async ({ ctx, next, getRawInput }) => {
      if (ctx.tenant)
        throw new AppError("FORBIDDEN", "Create workspaces from the main site, not from a workspace.");
      await enforceRateLimit(ctx, [[AUTH_POLICIES.signupPerIp, ctx.meta.ip ?? "unknown"]]);
      // The address before the rest of the form: the sign-up page shows its problem by its code.
      const slug = ((await getRawInput()) as { slug?: unknown } | null)?.slug;
      if (typeof slug === "string") assertSlugUsable(slug);
      return next();
    })
    .input(createTenantInput)
    .mutation(async ({ ctx, input }) => {
      const { tenant, ownerId } = await ctx.services.tenants.createTenant(input, {
        type: "user",
        email: input.ownerEmail,
        ip: ctx.meta.ip ?? undefined,
        userAgent: ctx.meta.userAgent ?? undefined,
      });
      const token = await ctx.services.auth.createLoginToken(tenant, ownerId);
      // The owner's address is confirmed by a link mailed to it (queued; a failure here does not
      // undo the workspace: the banner in the app offers to send it again).
      await ctx.services.accounts
        .sendVerification(tenant, ownerId, tenantOrigin(ctx, tenant.slug))
        .catch((err) =>
          ctx.services.log.warn({ err, tenantId: tenant.id }, "sign-up: verification mail not queued"),
        );
      return {
        tenant: {
          id: tenant.id,
          slug: tenant.slug,
          name: tenant.name,
          status: tenant.status,
          plan: tenant.billingPlan,
          schemaName: tenant.schemaName,
          url: tenantHostUrl(
            ctx.headers,
            ctx.services.tenancy.baseDomain,
            tenant.slug,
            "/",
            secureCookies(ctx.services.env),
          ),
        },
        continueUrl: tenantHostUrl(
          ctx.headers,
          ctx.services.tenancy.baseDomain,
          tenant.slug,
          `/auth/continue?token=${encodeURIComponent(token)}`,
          secureCookies(ctx.services.env),
        ),
      };
    }),

  signIn: tenantProcedure
    .meta({ access: "signIn" })
    .input(signInInput)
    .mutation(async ({ ctx, input }) => {
      // Brute force is slowed per client address here and per account by the sign-in back-off
      // (AuthService.signIn), both before any password check.
      await enforceRateLimit(ctx, [[AUTH_POLICIES.loginPerIp, ctx.meta.ip ?? "unknown"]]);
      const result = await ctx.services.auth.passwordSignIn(ctx.tenant, input, ctx.meta, {
        deviceOf: knownDevice(ctx),
      });
      if (result.challenge !== undefined) {
        // The account has a second factor: no session yet, a challenge for the code step.
        ctx.resHeaders.append(
          "set-cookie",
          sessionCookie(
            TWO_FACTOR_COOKIE,
            result.challenge,
            result.challengeExpiresAt,
            secureCookies(ctx.services.env),
          ),
        );
        return { user: null, needsCode: true as const };
      }
      ctx.resHeaders.append(
        "set-cookie",
        sessionCookie(
          SESSION_COOKIE,
          result.token,
          result.session.expiresAt,
          secureCookies(ctx.services.env),
        ),
      );
      rememberDevice(ctx, result.session.user.id);
      return { user: result.session.user, needsCode: false as const };
    }),

  /**
   * The second step of a sign-in with two-factor authentication: the code of the authenticator app
   * (or a recovery code) completes the challenge the password step left in its cookie. Limited per
   * client address and by the account's code back-off; a code is accepted once.
   */
  signInCode: tenantProcedure
    .meta({ access: "signIn" })
    .input(codeInput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, [[AUTH_POLICIES.twoFactorPerIp, ctx.meta.ip ?? "unknown"]]);
      const { token, session } = await twoFactorService(ctx.services).completeSignIn(
        ctx.tenant,
        readCookie(ctx.headers, TWO_FACTOR_COOKIE),
        input,
        ctx.meta,
      );
      ctx.resHeaders.append("set-cookie", clearCookie(TWO_FACTOR_COOKIE, secureCookies(ctx.services.env)));
      ctx.resHeaders.append(
        "set-cookie",
        sessionCookie(SESSION_COOKIE, token, session.expiresAt, secureCookies(ctx.services.env)),
      );
      rememberDevice(ctx, session.user.id);
      return { user: session.user };
    }),

  signOut: tenantProcedure.meta({ access: "public" }).mutation(async ({ ctx }) => {
    await ctx.services.auth.signOut(ctx.tenant, readCookie(ctx.headers, SESSION_COOKIE));
    ctx.resHeaders.append("set-cookie", clearCookie(SESSION_COOKIE, secureCookies(ctx.services.env)));
    return { ok: true };
  }),

  /** The signed-in user of this tenant, or null. */
  me: tenantProcedure.meta({ access: "public" }).query(async ({ ctx }) => {
    const session = await ctx.services.auth.session(ctx.tenant, readCookie(ctx.headers, SESSION_COOKIE));
    return session
      ? {
          user: session.user,
          expiresAt: session.expiresAt,
          twoFactor: {
            enabled: session.twoFactor?.enabled ?? false,
            required: session.twoFactor?.required ?? false,
            /** Sent to set it up before anything else (TWO_FACTOR_REQUIRED everywhere else). */
            mustEnrol: mustEnrolTwoFactor(session),
          },
        }
      : null;
  }),
});
