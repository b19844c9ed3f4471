import type { Tenant } from "@nchat/db/public";

/** The workspace as its members see it: plan, limits, features (no owner contact, no Stripe ids). */
export function workspaceView(t: Tenant) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    plan: t.billingPlan,
    billingInterval: t.billingInterval,
    branding: t.branding,
    limits: t.limits,
    features: t.features,
    trialEndsAt: t.trialEndsAt,
    currentPeriodEnd: t.currentPeriodEnd,
    cancelAtPeriodEnd: t.cancelAtPeriodEnd,
    createdAt: t.createdAt,
  };
}
export type WorkspaceView = ReturnType<typeof workspaceView>;
