import { z } from "zod";
import { userActor } from "../audit/actor";
import { can } from "../auth/permissions";
import { platformOffFeatures } from "../limits/platform-features";
import { rest } from "../openapi/meta";
import { billingStatusOutput } from "../openapi/outputs";
import { type Context, permissionProcedure, router } from "../trpc";
import { cancelInput, checkoutInput, planChangeInput, type ReturnUrls } from "./billing-service";

/** This request's own origin (the tenant's host: its subdomain or verified custom domain). */
function origin(ctx: Pick<Context, "headers" | "services">, slug: string): string {
  const host = ctx.headers.get("host") ?? `${slug}.${ctx.services.tenancy.baseDomain}`;
  const proto =
    ctx.services.env.NODE_ENV === "production" ? "https" : (ctx.headers.get("x-forwarded-proto") ?? "http");
  return `${proto}://${host}`;
}

const returnUrls = (ctx: Pick<Context, "headers" | "services">, slug: string): ReturnUrls => ({
  successUrl: `${origin(ctx, slug)}/billing?upgraded=1&session_id={CHECKOUT_SESSION_ID}`,
  cancelUrl: `${origin(ctx, slug)}/billing?canceled=1`,
});

/**
 * Owner only; callable in every live status (paying is how a suspended or lapsed workspace comes
 * back; see tenancy/status-policy.ts).
 */
const manage = permissionProcedure("billing:manage").meta({ access: "billing" });

/**
 * Billing of the tenant on this host (the host decides which tenant: no tenant id is accepted).
 * `mode: "offline"` in answers means no Stripe is configured and changes apply directly.
 */
export const billingRouter = router({
  /** Plan, interval, status, period, cancellation, trial; the last payment for owners only. */
  status: permissionProcedure("tenant:read")
    .meta({ access: "billing" })
    .meta(rest("GET", "/billing", "Workspace", "Plan, limits, billing period and status"))
    .output(billingStatusOutput)
    .query(async ({ ctx }) => ({
      ...(await ctx.services.billing.status(ctx.tenant.id, {
        includePayment: can(ctx.user.role, "billing:manage"),
      })),
      /** Plan features this platform has off: not offered, whatever the plan says. */
      platformOff: platformOffFeatures(ctx.services.env).map((o) => o.feature),
    })),

  /** Metered usage of this period (API calls and storage above the allowance) and the next invoice's estimate. */
  usage: manage.query(({ ctx }) => ctx.services.billing.usage(ctx.tenant.id)),

  /**
   * `url` non-null: go there to finish — Stripe Checkout (no subscription yet), or Stripe's hosted
   * invoice when an upgrade waits for its payment (the plan changes once it is paid); null: applied.
   */
  changePlan: manage
    .input(planChangeInput)
    .mutation(({ ctx, input }) =>
      ctx.services.billing.changePlan(ctx.tenant, input, userActor(ctx), returnUrls(ctx, ctx.tenant.slug)),
    ),

  /** POST /api/billing/checkout: `{ url }` of Stripe Checkout; offline the plan applies at once. */
  checkout: manage
    .input(checkoutInput)
    .mutation(({ ctx, input }) =>
      ctx.services.billing.checkout(ctx.tenant, input, userActor(ctx), returnUrls(ctx, ctx.tenant.slug)),
    ),

  /** At the period end (default) or immediately (back to Free now). */
  cancel: manage
    .input(cancelInput.optional())
    .mutation(({ ctx, input }) => ctx.services.billing.cancel(ctx.tenant, input ?? {}, userActor(ctx))),

  /** Withdraws a cancellation scheduled for the period end. */
  resume: manage.mutation(({ ctx }) => ctx.services.billing.resume(ctx.tenant, userActor(ctx))),

  /** Stripe's customer portal (payment methods, invoices); offline: the billing page. */
  portal: manage
    .input(z.object({}).optional())
    .mutation(({ ctx }) =>
      ctx.services.billing.portal(ctx.tenant, `${origin(ctx, ctx.tenant.slug)}/billing`, userActor(ctx)),
    ),
});
