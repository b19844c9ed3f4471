"use client";

import { PLANS, type PlanId } from "@nchat/billing/plans";
import { FEATURE_LABELS, type FeatureKey } from "@nchat/protocol/plans";
import { LoadError } from "@nchat/ui/alert";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import {
  type BillingStatus,
  type LimitItem,
  useSessionUser,
  useTenantBilling,
  useTenantLimits,
} from "@/components/tenant";
import { Alert, Button, Meter } from "@/components/ui";
import {
  formatBytes,
  formatDate,
  formatGigabytes,
  formatMegabytes,
  formatMoney,
  formatNumber,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { MeteredUsageSection } from "./metered-usage";

type Interval = "month" | "year";

const METERS: { resource: LimitItem["resource"]; label: string; format: (n: number) => string }[] = [
  { resource: "users", label: "Members", format: formatNumber },
  { resource: "channels", label: "Channels", format: formatNumber },
  { resource: "storage", label: "Storage", format: formatBytes },
  { resource: "api_calls_month", label: "API calls (month)", format: formatNumber },
];

const limitText = (n: number, unit = "") => (n < 0 ? "Unlimited" : `${formatNumber(n)}${unit}`);

export function BillingView() {
  const me = useSessionUser();
  const billing = useTenantBilling();
  const limits = useTenantLimits({ fresh: true });
  const params = useSearchParams();
  const owner = me.role === "owner";
  const status = billing.status;

  if (billing.isPending)
    return (
      <main className="page center-pad">
        <Spinner label="Loading billing" />
      </main>
    );
  if (billing.isError || !status)
    return (
      <main className="page">
        <PageHeader title="Billing" />
        <LoadError error={billing.error} onRetry={() => billing.refetch()} />
      </main>
    );

  return (
    <main className="page" aria-labelledby="billing-title">
      <PageHeader
        title={<span id="billing-title">Billing</span>}
        description="Your plan, what you use, and what you can move to."
      />

      {params.get("upgraded") ? <Alert tone="success">Thanks! Your plan is updated.</Alert> : null}
      {params.get("canceled") ? <Alert tone="info">Checkout was cancelled; nothing changed.</Alert> : null}
      <StatusNotices billing={billing} owner={owner} />
      {billing.offline ? (
        <Alert tone="info" title="Offline billing">
          No payment provider is configured on this server: plan changes apply immediately and nothing is
          charged.
        </Alert>
      ) : null}

      <section className="card" aria-labelledby="current-plan">
        <div className="plan-summary">
          <div>
            <p className="muted small">Current plan</p>
            <h2 id="current-plan" data-testid="current-plan">
              {status.planName}
            </h2>
            <p className="muted">
              {status.plan === "free"
                ? "Free forever"
                : `${formatMoney(PLANS[status.plan].price[status.interval])} per ${status.interval}`}
              {status.currentPeriodEnd
                ? ` · ${status.cancelAtPeriodEnd ? "ends" : "renews"} ${formatDate(status.currentPeriodEnd)}`
                : ""}
              {status.status !== "active" ? (
                <>
                  {" · "}
                  <Badge
                    tone={
                      status.status === "past_due" || status.status === "cancelled" ? "danger" : "warning"
                    }
                  >
                    {status.status.replace("_", " ")}
                  </Badge>
                </>
              ) : null}
            </p>
            {status.lastPayment ? (
              <p className="muted small">
                Last payment:{" "}
                {status.lastPayment.amount !== null ? formatMoney(status.lastPayment.amount) : "—"}{" "}
                {status.lastPayment.date ? `on ${formatDate(status.lastPayment.date)}` : ""}{" "}
                {status.lastPayment.status ? `(${status.lastPayment.status})` : ""}
              </p>
            ) : null}
          </div>
          {owner ? <OwnerActions status={status} offline={billing.offline} /> : null}
        </div>
      </section>

      <section className="card" aria-labelledby="usage-title">
        <h2 id="usage-title">Usage</h2>
        {limits.isPending ? (
          <Spinner label="Loading usage" />
        ) : limits.isError ? (
          <Alert tone="danger">{errorMessage(limits.error)}</Alert>
        ) : (
          <div className="usage-grid" data-testid="usage">
            {METERS.map((m) => {
              const item = limits.items.find((i) => i.resource === m.resource);
              return item ? (
                <Meter
                  key={m.resource}
                  id={m.resource}
                  label={m.label}
                  used={item.used}
                  limit={item.limit}
                  state={item.state}
                  format={m.format}
                />
              ) : null;
            })}
          </div>
        )}{" "}
        <p className="muted small usage-note">
          Pending invitations hold a member seat. Archived channels count as channels.
          {limits.maxUploadBytes !== null ? ` Files up to ${formatBytes(limits.maxUploadBytes)} each.` : ""}
        </p>
      </section>

      {owner && !billing.offline ? <MeteredUsageSection /> : null}

      <Plans status={status} owner={owner} offline={billing.offline} />
    </main>
  );
}

function StatusNotices({ billing, owner }: { billing: ReturnType<typeof useTenantBilling>; owner: boolean }) {
  const who = owner ? "" : " The workspace owner can update billing.";
  if (billing.pastDue)
    return (
      <Alert tone="danger" title="Payment past due">
        The last payment did not go through. Update the payment method to keep the workspace running.{who}
      </Alert>
    );
  if (billing.trialExpired)
    return (
      <Alert tone="danger" title="Your trial has ended">
        Choose a plan to continue using the workspace. Your messages and files are kept.{who}
      </Alert>
    );
  if (billing.cancelled)
    return (
      <Alert tone="warning" title="Subscription cancelled">
        Choose a plan to continue.{who}
      </Alert>
    );
  if (billing.inTrial)
    return (
      <Alert tone="info" title="Free trial">
        {billing.trialDaysLeft === 0
          ? "The trial ends today."
          : `${billing.trialDaysLeft} days left in your trial.`}{" "}
        Pick a plan any time.
      </Alert>
    );
  return null;
}

function useBillingRefresh() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  return () => {
    void qc.invalidateQueries({ queryKey: trpc.billing.status.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.billing.usage.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.ui.limits.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.ui.features.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.tenant.public.queryKey() });
    // The plan badge and branding come from the server-rendered layout.
    router.refresh();
  };
}

function OwnerActions({ status, offline }: { status: BillingStatus; offline: boolean }) {
  const trpc = useTRPC();
  const refresh = useBillingRefresh();
  const portal = useMutation(
    trpc.billing.portal.mutationOptions({
      onSuccess: (r) => {
        if (r.url && !r.url.endsWith("/billing")) window.location.assign(r.url);
      },
    }),
  );
  const resume = useMutation(trpc.billing.resume.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.billing.cancel.mutationOptions({ onSuccess: refresh }));
  const [confirmCancel, setConfirmCancel] = useState(false);
  const error = portal.error ?? resume.error ?? cancel.error;
  return (
    <div className="stack" style={{ justifyItems: "end" }}>
      {" "}
      <div className="page-actions">
        {status.plan === "free" ? (
          <a href="#plans-title" className="btn btn-primary">
            Compare plans
          </a>
        ) : null}
        {!offline ? (
          <Button variant="secondary" loading={portal.isPending} onClick={() => portal.mutate({})}>
            <Icon name="card" size={16} /> Payment methods &amp; invoices
          </Button>
        ) : null}
        {status.cancelAtPeriodEnd ? (
          <Button loading={resume.isPending} onClick={() => resume.mutate()}>
            Keep my plan
          </Button>
        ) : status.plan !== "free" && status.hasSubscription ? (
          <Button variant="ghost" onClick={() => setConfirmCancel(true)}>
            Cancel plan
          </Button>
        ) : null}
      </div>
      {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
      <Dialog
        open={confirmCancel}
        onClose={() => setConfirmCancel(false)}
        title={`Cancel ${status.planName}?`}
        footer={
          <>
            <Button variant="secondary" onClick={() => setConfirmCancel(false)}>
              Keep plan
            </Button>
            <Button
              variant="danger"
              loading={cancel.isPending}
              onClick={() =>
                cancel.mutate({ immediately: false }, { onSuccess: () => setConfirmCancel(false) })
              }
            >
              Cancel at period end
            </Button>
          </>
        }
      >
        <p>
          The workspace keeps {status.planName} until{" "}
          {status.currentPeriodEnd ? formatDate(status.currentPeriodEnd) : "the end of the period"}, then
          moves to Free. Members, channels and files above Free&apos;s limits are kept, but nothing new can be
          added beyond them.
        </p>
      </Dialog>
    </div>
  );
}

function Plans({ status, owner, offline }: { status: BillingStatus; owner: boolean; offline: boolean }) {
  const trpc = useTRPC();
  const refresh = useBillingRefresh();
  const [interval, setInterval] = useState<Interval>(status.interval);
  const [confirm, setConfirm] = useState<PlanId | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [awaiting, setAwaiting] = useState<{ plan: PlanId; url: string } | null>(null);
  const change = useMutation(
    trpc.billing.changePlan.mutationOptions({
      onSuccess: (r, input) => {
        setConfirm(null);
        setDone(null);
        setAwaiting(null);
        if (r.url && r.status.hasSubscription && r.status.plan !== input.plan) {
          // An upgrade of a subscription: Stripe invoiced it and the plan changes once that invoice
          // is paid (the answer's url is its hosted page); until then the plan stays the old one.
          setAwaiting({ plan: input.plan, url: r.url });
          refresh();
          return;
        }
        if (r.url) {
          // No subscription yet: Stripe Checkout finishes the change.
          window.location.assign(r.url);
          return;
        }
        setDone(
          `You are now on ${r.status.planName}${r.mode === "offline" ? " (offline billing: nothing was charged)" : ""}.`,
        );
        refresh();
      },
    }),
  );
  const current = PLANS[status.plan];
  // What this page just asked for, or what Stripe still holds (after a reload, or from another tab).
  const held: { plan: PlanId; url: string | null } | null = status.pendingChange
    ? { plan: status.pendingChange.plan, url: status.pendingChange.invoiceUrl }
    : awaiting;
  const shown = status.plans.filter((p) => PLANS[p.id].selfServe || p.current);
  const platformOff: readonly string[] = status.platformOff;
  return (
    <section aria-labelledby="plans-title" className="stack">
      <div className="plan-summary">
        <h2 id="plans-title">Plans</h2>
        <fieldset className="interval-toggle" aria-label="Billing interval">
          {(["month", "year"] as const).map((i) => (
            <button key={i} type="button" aria-pressed={interval === i} onClick={() => setInterval(i)}>
              {i === "month" ? "Monthly" : "Yearly (2 months free)"}
            </button>
          ))}
        </fieldset>
      </div>
      {done ? (
        <Alert tone="success" role="status">
          {done}
        </Alert>
      ) : null}
      {held && held.plan !== status.plan ? (
        <div data-testid="upgrade-awaiting-payment">
          <Alert
            tone="warning"
            role="status"
            title={`Your upgrade to ${PLANS[held.plan].name} waits for payment`}
            action={
              held.url ? (
                <a className="btn btn-primary" href={held.url} target="_blank" rel="noopener noreferrer">
                  Pay the invoice
                </a>
              ) : undefined
            }
          >
            Stripe could not take the payment for the upgrade. Pay the invoice to finish it: your plan stays{" "}
            {current.name} until it is paid.
          </Alert>
        </div>
      ) : null}
      {change.isError ? <Alert tone="danger">{errorMessage(change.error)}</Alert> : null}
      {!owner ? <Alert tone="info">Only the workspace owner can change the plan.</Alert> : null}
      <ul className="plans">
        {shown.map((p) => {
          const plan = PLANS[p.id];
          const up = plan.rank > current.rank;
          const price = p.price[interval];
          return (
            <li
              key={p.id}
              className={`card plan-card${p.current ? " current" : ""}`}
              data-testid={`plan-${p.id}`}
            >
              <div className="plan-summary">
                <h3>{p.name}</h3>
                {p.current ? <Badge tone="brand">Current</Badge> : null}
              </div>
              <p className="price">
                {price === null ? "Custom" : formatMoney(price)}
                <span>{price ? ` / ${interval}` : ""}</span>
              </p>
              <ul>
                <li>{limitText(plan.limits.users)} members</li>
                <li>{limitText(plan.limits.channels)} channels</li>
                <li>{formatGigabytes(plan.limits.storageGb)} storage</li>
                <li>{limitText(plan.limits.apiCallsPerMonth)} API calls / month</li>
                <li>
                  Files up to{" "}
                  {plan.limits.maxUploadMb < 0 ? "any size" : formatMegabytes(plan.limits.maxUploadMb)}
                </li>
                {PLAN_FEATURES
                  // Not what this platform has off (e.g. custom domains without ENABLE_CUSTOM_DOMAINS).
                  .filter((f) => plan.features[f] && !platformOff.includes(f))
                  .map((f) => (
                    <li key={f}>{FEATURE_LABELS[f]}</li>
                  ))}
              </ul>
              {p.current ? (
                <Button variant="secondary" disabled className="btn-block">
                  Your plan
                </Button>
              ) : owner ? (
                <Button
                  variant={up ? "primary" : "secondary"}
                  className="btn-block"
                  disabled={!p.available}
                  title={!p.available ? "Not available on this server" : undefined}
                  loading={change.isPending && change.variables?.plan === p.id}
                  onClick={() => setConfirm(p.id)}
                >
                  {up ? `Upgrade to ${p.name}` : `Switch to ${p.name}`}
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <Dialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title={
          confirm
            ? `${isUpgrade(status.plan, confirm) ? "Upgrade" : "Switch"} to ${PLANS[confirm].name}?`
            : ""
        }
        footer={
          confirm ? (
            <>
              <Button variant="secondary" onClick={() => setConfirm(null)}>
                Cancel
              </Button>
              <Button
                variant={isUpgrade(status.plan, confirm) ? "primary" : "danger"}
                loading={change.isPending}
                onClick={() => change.mutate({ plan: confirm as "free" | "pro" | "enterprise", interval })}
              >
                {isUpgrade(status.plan, confirm) ? `Upgrade to ${PLANS[confirm].name}` : "Switch plan"}
              </Button>
            </>
          ) : null
        }
      >
        {confirm ? (
          <PlanChangeSummary
            status={status}
            to={confirm}
            interval={interval}
            offline={offline}
            platformOff={platformOff}
          />
        ) : null}
      </Dialog>
    </section>
  );
}

const isUpgrade = (from: PlanId, to: PlanId) => PLANS[to].rank > PLANS[from].rank;

/**
 * What a plan change changes, before it is made: the price, each limit (old → new) and the
 * features gained or lost, and how it is charged.
 */
function PlanChangeSummary({
  status,
  to,
  interval,
  offline,
  platformOff,
}: {
  status: BillingStatus;
  to: PlanId;
  interval: Interval;
  offline: boolean;
  platformOff: readonly string[];
}) {
  const from = PLANS[status.plan];
  const next = PLANS[to];
  const up = isUpgrade(status.plan, to);
  const price = (plan: (typeof PLANS)[PlanId], i: Interval) => {
    const amount = plan.price[i];
    return amount === null ? "Custom" : amount === 0 ? "Free" : `${formatMoney(amount)} / ${i}`;
  };
  const upload = (mb: number) => (mb < 0 ? "Any size" : formatMegabytes(mb));
  const rows: [string, string, string][] = [
    ["Price", price(from, status.interval), price(next, interval)],
    ["Members", limitText(from.limits.users), limitText(next.limits.users)],
    ["Channels", limitText(from.limits.channels), limitText(next.limits.channels)],
    ["Storage", formatGigabytes(from.limits.storageGb), formatGigabytes(next.limits.storageGb)],
    ["API calls / month", limitText(from.limits.apiCallsPerMonth), limitText(next.limits.apiCallsPerMonth)],
    ["Files up to", upload(from.limits.maxUploadMb), upload(next.limits.maxUploadMb)],
  ];
  const features = PLAN_FEATURES.filter((f) => !platformOff.includes(f));
  const gained = features.filter((f) => next.features[f] && !from.features[f]);
  const lost = features.filter((f) => from.features[f] && !next.features[f]);
  return (
    <div className="stack" data-testid="plan-change-summary">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Item</span>
            </th>
            <th scope="col">Now ({from.name})</th>
            <th scope="col">After ({next.name})</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, before, after]) => (
            <tr key={label} className={before === after ? "muted" : undefined}>
              <th scope="row">{label}</th>
              <td>{before}</td>
              <td>{after === before ? after : <strong>{after}</strong>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {gained.length > 0 ? <p>Adds: {gained.map((f) => FEATURE_LABELS[f]).join(", ")}.</p> : null}
      {lost.length > 0 ? <p>Removes: {lost.map((f) => FEATURE_LABELS[f]).join(", ")}.</p> : null}
      {!up ? (
        <p>
          Nothing is deleted, but nothing new can be added beyond the new limits, and the features it removes
          stop working.
        </p>
      ) : null}
      <p className="muted small">
        {offline
          ? "Offline billing: the change applies at once and nothing is charged."
          : up
            ? "You pay the difference for the rest of the current billing period now; the new plan applies once the payment goes through."
            : "The change applies now; the unused part of your current plan is credited to your next invoice."}
      </p>
    </div>
  );
}

/** The features a plan card and a plan change list (the basics every plan has are not repeated). */
const PLAN_FEATURES = [
  "threads",
  "privateChannels",
  "customBranding",
  "customDomains",
  "apiAccess",
  "sso",
  "auditLogs",
] as const satisfies readonly FeatureKey[];
