import type { Feature } from "@nchat/billing/plans";
import { AppError } from "../errors";

const LABELS: Record<Feature, string> = {
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
};

export const hasFeature = (features: Record<string, boolean>, feature: Feature) => features[feature] === true;

/** FEATURE_NOT_IN_PLAN (403) unless the tenant's plan (or Custom overrides) includes the feature. */
export function requireFeature(features: Record<string, boolean>, feature: Feature): void {
  if (!hasFeature(features, feature)) {
    throw new AppError(
      "FEATURE_NOT_IN_PLAN",
      `${LABELS[feature]} is not included in your plan. Upgrade to use it.`,
      { feature },
    );
  }
}
