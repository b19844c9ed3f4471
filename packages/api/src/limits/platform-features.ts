import type { Feature } from "@nchat/billing/plans";
import type { Env } from "@nchat/config";
import { AppError } from "../errors";

/**
 * Plan features that also need the platform to switch them on: a plan (Pro and up) includes
 * custom domains, but they only work where the operator routes arbitrary hosts to the app and
 * set ENABLE_CUSTOM_DOMAINS. Where a switch is off, the feature is off for every tenant whatever
 * its plan: `ui.features` reports it off (and why), the billing page does not list it, the admin
 * console says "in plan, but disabled on this platform", and using it names the operator's action.
 */
export const PLATFORM_SWITCHES = {
  customDomains: "ENABLE_CUSTOM_DOMAINS",
} as const satisfies Partial<Record<Feature, keyof Env>>;
export type SwitchedFeature = keyof typeof PLATFORM_SWITCHES;

/** A plan feature the platform has off, and the setting that turns it on. */
export type PlatformOffFeature = {
  feature: SwitchedFeature;
  setting: (typeof PLATFORM_SWITCHES)[SwitchedFeature];
};

/** The switched features this platform has off. */
export function platformOffFeatures(
  env: Pick<Env, (typeof PLATFORM_SWITCHES)[SwitchedFeature]>,
): PlatformOffFeature[] {
  return (Object.keys(PLATFORM_SWITCHES) as SwitchedFeature[])
    .filter((f) => !env[PLATFORM_SWITCHES[f]])
    .map((feature) => ({ feature, setting: PLATFORM_SWITCHES[feature] }));
}

const LABEL: Record<SwitchedFeature, string> = { customDomains: "Custom domains" };

/** What the operator must do, for messages: "set ENABLE_CUSTOM_DOMAINS=true and restart the app servers". */
export const operatorAction = (feature: SwitchedFeature) =>
  `The platform operator must set ${PLATFORM_SWITCHES[feature]}=true and restart the app servers.`;

/** FORBIDDEN (stable `details.reason: "platform_disabled"`) naming the setting to change. */
export function platformDisabled(feature: SwitchedFeature): AppError {
  return new AppError(
    "FORBIDDEN",
    `${LABEL[feature]} are turned off on this platform, whatever the plan. ${operatorAction(feature)}`,
    { reason: "platform_disabled", feature, setting: PLATFORM_SWITCHES[feature] },
  );
}
