/**
 * Plans and features as people read them: one spelling for the server's messages ("Threads is not
 * included in your plan"), the workspace's billing page and the admin console.
 */

export const PLAN_LABELS = {
  free: "Free",
  pro: "Pro",
  enterprise: "Enterprise",
  custom: "Custom",
} as const;
export type PlanKey = keyof typeof PLAN_LABELS;

export const FEATURE_LABELS = {
  directMessages: "Direct messages",
  reactions: "Reactions",
  fileUploads: "File uploads",
  threads: "Threads",
  privateChannels: "Private channels",
  customBranding: "Custom branding",
  customDomains: "Custom domains",
  apiAccess: "API access",
  analytics: "Analytics",
  integrations: "Integrations",
  sso: "Single sign-on",
  auditLogs: "Audit log export",
  prioritySupport: "Priority support",
} as const;
export type FeatureKey = keyof typeof FEATURE_LABELS;
