import type { BillingInterval, PlanId, Stripe } from "@nchat/billing";
import type { Tenant } from "@nchat/db/public";
import type { Actor } from "../audit/actor";

export type BillingMode = "stripe" | "offline";

/** Plans an owner can choose; Custom is arranged by the platform. */
export type SelfServePlan = Exclude<PlanId, "custom">;

/** Which tenant an operation is for (the row is re-read under the tenant's billing lock). */
export type BillingTenantRef = { id: string };

/** `paymentUrl`: the change waits for this payment (Stripe's hosted invoice); the plan is unchanged until it is paid. */
export type SubscriptionResult = { mode: BillingMode; tenant: Tenant; paymentUrl?: string };

export type CheckoutRequest = {
  plan: SelfServePlan;
  interval: BillingInterval;
  /** Absolute URLs Stripe sends the browser back to. */
  successUrl: string;
  cancelUrl: string;
};

/**
 * `url`: where the browser goes next — Stripe Checkout, or (offline, or when an existing
 * subscription was changed in place) the billing page.
 */
export type CheckoutResult = { mode: BillingMode; url: string; sessionId?: string };
export type PortalResult = { mode: BillingMode; url: string };

export type WebhookOutcome = "processed" | "duplicate" | "ignored";
export type WebhookResult = {
  eventId: string;
  type: string;
  outcome: WebhookOutcome;
  tenantId: string | null;
};

/**
 * The operations of the seed's StripeBillingService. The Stripe provider and the offline provider
 * (no STRIPE_SECRET_KEY: plan changes apply directly) implement the same interface; BillingService
 * picks one. Every operation writes its audit entries in the transaction that changes the tenant.
 */
export interface BillingProvider {
  readonly mode: BillingMode;
  /** The tenant's Stripe customer, created and saved on first use. */
  createCustomer(tenant: BillingTenantRef, actor: Actor): Promise<string>;
  /** Upgrade, downgrade (refused above the target's limits) or interval change, with proration. */
  updateSubscription(
    tenant: BillingTenantRef,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<SubscriptionResult>;
  cancelSubscription(
    tenant: BillingTenantRef,
    immediately: boolean,
    actor: Actor,
  ): Promise<SubscriptionResult>;
  /** Undoes a cancellation scheduled for the period end. */
  resumeSubscription(tenant: BillingTenantRef, actor: Actor): Promise<SubscriptionResult>;
  createCheckoutSession(
    tenant: BillingTenantRef,
    request: CheckoutRequest,
    actor: Actor,
  ): Promise<CheckoutResult>;
  createPortalSession(tenant: BillingTenantRef, returnUrl: string, actor: Actor): Promise<PortalResult>;
  processWebhookEvent(event: Stripe.Event): Promise<WebhookResult>;
}
