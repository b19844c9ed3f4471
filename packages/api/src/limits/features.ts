import type { Feature } from "@nchat/billing/plans";
import { FEATURE_LABELS } from "@nchat/protocol/plans";
import { AppError } from "../errors";

/** How people read a feature's name: one spelling, shared with the apps (@nchat/protocol). */
const LABELS: Record<Feature, string> = FEATURE_LABELS;

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
