"use client";

import { useQuery } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext } from "react";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

export type TenantInfo = RouterOutputs["tenant"]["public"];
export type SessionUser = NonNullable<RouterOutputs["auth"]["me"]>["user"];
export type FeatureName = keyof RouterOutputs["ui"]["features"]["features"];
export type LimitItem = RouterOutputs["ui"]["limits"]["items"][number];

const TenantContext = createContext<TenantInfo | null>(null);
const SessionContext = createContext<SessionUser | null>(null);

/** The tenant of this host, as resolved by the proxy on the server (no request needed to start). */
export function TenantProvider({ tenant, children }: { tenant: TenantInfo; children: ReactNode }) {
  return <TenantContext.Provider value={tenant}>{children}</TenantContext.Provider>;
}

/** The signed-in user (checked on the server before any app page renders). */
export function SessionProvider({ user, children }: { user: SessionUser; children: ReactNode }) {
  return <SessionContext.Provider value={user}>{children}</SessionContext.Provider>;
}

/**
 * The workspace of this host: name, slug, status, plan, branding (`tenant.public`). Starts from
 * what the server resolved and follows the API (e.g. after a rename or a plan change).
 */
export function useTenant(): TenantInfo {
  const initial = useContext(TenantContext);
  if (!initial) throw new Error("useTenant outside TenantProvider");
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.tenant.public.queryOptions(), initialData: initial, staleTime: 60_000 });
  return q.data ?? initial;
}

export function useSessionUser(): SessionUser {
  const initial = useContext(SessionContext);
  if (!initial) throw new Error("useSessionUser outside SessionProvider");
  return initial;
}

/** Role checks for showing controls; the API decides again (PERMISSIONS in packages/api). */
const RANK = { owner: 3, admin: 2, member: 1, guest: 0 } as const;
export const roleAtLeast = (role: SessionUser["role"], min: SessionUser["role"]) => RANK[role] >= RANK[min];

/** Whether the plan includes a feature (`ui.features`). `enabled` is false while loading. */
export function useTenantFeature(
  name: FeatureName,
  /** `enabled: false` defers the request until needed (closed dialogs): requests count against the plan. */
  opts: { enabled?: boolean } = {},
): {
  enabled: boolean;
  loading: boolean;
  planName: string;
  /** In the plan, but off on this platform: the setting the operator must turn on. */
  platformSetting: string | null;
} {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.ui.features.queryOptions(),
    staleTime: 60_000,
    enabled: opts.enabled ?? true,
  });
  return {
    enabled: q.data?.features[name] === true,
    loading: q.isPending,
    planName: q.data?.planName ?? "",
    platformSetting: q.data?.platformOff.find((o) => o.feature === name)?.setting ?? null,
  };
}

/** Usage against the plan's limits (`ui.limits`): users, channels, storage, API calls this month. */
export function useTenantLimits(opts: { enabled?: boolean; fresh?: boolean } = {}) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.ui.limits.queryOptions(),
    staleTime: 15_000,
    enabled: opts.enabled ?? true,
    // Pages that show usage (members, billing) ask again when they open.
    ...(opts.fresh ? { refetchOnMount: "always" as const } : {}),
  });
  const byResource = (r: LimitItem["resource"]) => q.data?.items.find((i) => i.resource === r) ?? null;
  return {
    ...q,
    items: q.data?.items ?? [],
    users: byResource("users"),
    channels: byResource("channels"),
    storage: byResource("storage"),
    apiCalls: byResource("api_calls_month"),
    maxUploadBytes: q.data?.maxUploadBytes ?? null,
    queryKey: trpc.ui.limits.queryKey(),
  };
}

export type BillingStatus = RouterOutputs["billing"]["status"];

/**
 * The workspace's billing (`billing.status`): plan, interval, status, trial and period, the plans
 * one can move to, and `mode` ("offline" when no payment provider is configured).
 */
export function useTenantBilling(opts: { enabled?: boolean } = {}) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.billing.status.queryOptions(),
    staleTime: 30_000,
    enabled: opts.enabled ?? true,
  });
  const s = q.data;
  const now = Date.now();
  const trialEndsAt = s?.trialEndsAt ? new Date(s.trialEndsAt) : null;
  return {
    ...q,
    status: s ?? null,
    offline: s?.mode === "offline",
    pastDue: s?.status === "past_due",
    inTrial: s?.status === "trial" && !!trialEndsAt && trialEndsAt.getTime() > now,
    trialExpired: s?.status === "trial" && !!trialEndsAt && trialEndsAt.getTime() <= now,
    trialDaysLeft: trialEndsAt ? Math.max(0, Math.ceil((trialEndsAt.getTime() - now) / 86_400_000)) : null,
    cancelled: s?.status === "cancelled",
    queryKey: trpc.billing.status.queryKey(),
  };
}
