"use client";

import type { RouterOutputs } from "@nchat/api";
import { FormDialog } from "@nchat/ui/dialog";
import { type AppErrorInfo, appErrorOf, errorMessage, fieldError } from "@nchat/ui/errors";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { FEATURE_LABEL, formatGigabytes, formatMoney, formatNumber, PLAN_LABEL } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useAfterAction } from "./use-after-action";

// The plan dialogs of a tenant's page: another plan of the catalog, or a custom plan with its own limits.

type Tenant = RouterOutputs["admin"]["tenants"]["get"]["tenant"];

/** Moves the tenant to another plan of the catalog. */
export function ChangePlanDialog({
  tenant,
  open,
  onClose,
}: {
  tenant: Tenant;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const after = useAfterAction();
  const catalog = useQuery({ ...trpc.admin.overview.catalog.queryOptions(), enabled: open });
  const [plan, setPlan] = useState<string>("");
  /** The upgrade Stripe invoiced and waits for: the plan stays the old one until it is paid. */
  const [waiting, setWaiting] = useState<{ plan: string; url: string } | null>(null);
  const selected = plan || tenant.plan;
  const mutation = useMutation(
    trpc.admin.tenants.changePlan.mutationOptions({
      onSuccess: async (r, input) => {
        await after();
        if (r.pendingPayment) {
          setWaiting({ plan: input.plan, url: r.pendingPayment });
          return;
        }
        toast.success("Plan changed", `${tenant.name} is now on ${PLAN_LABEL[r.plan]}.`);
        close();
      },
    }),
  );
  const close = () => {
    setPlan("");
    setWaiting(null);
    mutation.reset();
    onClose();
  };
  const name = useId();
  return (
    <FormDialog
      open={open}
      onClose={close}
      title="Change plan"
      wide
      description={
        <>
          Limits and features are reset to the new plan&apos;s defaults. Without a Stripe subscription the
          change applies to <strong>{tenant.name}</strong> at once. With one, the subscription is changed in
          Stripe (prorated): a downgrade applies at once, an upgrade once Stripe has been paid for it.
        </>
      }
      submitLabel={`Switch to ${PLAN_LABEL[selected] ?? selected}`}
      canSubmit={selected !== tenant.plan && waiting?.plan !== selected}
      busy={mutation.isPending}
      error={mutation.error ? errorMessage(mutation.error) : null}
      onSubmit={() => mutation.mutate({ id: tenant.id, plan: selected as Tenant["plan"] })}
    >
      {waiting ? (
        <div className="banner banner-warning" role="status" data-testid="plan-change-waiting">
          <strong>Waiting for payment.</strong> Stripe invoiced the upgrade to{" "}
          {PLAN_LABEL[waiting.plan] ?? waiting.plan} and could not take the payment: {tenant.name} stays on{" "}
          {PLAN_LABEL[tenant.plan]} until the invoice is paid.{" "}
          <a href={waiting.url} target="_blank" rel="noopener noreferrer">
            Open the invoice
          </a>
        </div>
      ) : null}
      <fieldset className="plan-options">
        <legend className="sr-only">Plan</legend>
        {(catalog.data?.plans ?? []).map((p) => (
          <label key={p.id} className={`plan-option ${selected === p.id ? "selected" : ""}`}>
            <input
              type="radio"
              name={name}
              value={p.id}
              checked={selected === p.id}
              onChange={() => setPlan(p.id)}
            />
            <span className="plan-option-body">
              <span className="plan-option-title">
                <strong>{p.name}</strong>
                {p.id === tenant.plan ? <span className="badge badge-neutral">Current</span> : null}
              </span>
              <span className="plan-option-price">
                {p.price.month === null
                  ? "Price on request"
                  : p.price.month === 0
                    ? "Free"
                    : `${formatMoney(p.price.month)}/mo`}
              </span>
              <span className="muted small">
                {limitText(p.limits.users, "members")} · {limitText(p.limits.channels, "channels")} ·{" "}
                {p.limits.storageGb < 0
                  ? "unlimited storage"
                  : `${formatGigabytes(p.limits.storageGb)} storage`}
              </span>
            </span>
          </label>
        ))}
        {catalog.isLoading ? <p className="muted">Loading plans…</p> : null}
      </fieldset>
    </FormDialog>
  );
}

const limitText = (n: number, what: string) => (n < 0 ? `unlimited ${what}` : `${formatNumber(n)} ${what}`);

const LIMIT_FIELDS = [
  { key: "users", label: "Members", unit: "", step: 1 },
  { key: "channels", label: "Channels", unit: "", step: 1 },
  { key: "storageGb", label: "Storage", unit: "GB", step: 0.5 },
  { key: "apiCallsPerMonth", label: "API calls per month", unit: "", step: 1 },
  { key: "maxUploadMb", label: "Largest upload", unit: "MB", step: 1 },
] as const;
type LimitKey = (typeof LIMIT_FIELDS)[number]["key"];

export function CustomPlanDialog({
  tenant,
  open,
  onClose,
}: {
  tenant: Tenant;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const after = useAfterAction();
  const catalog = useQuery({ ...trpc.admin.overview.catalog.queryOptions(), enabled: open });
  const initialLimits = () =>
    Object.fromEntries(LIMIT_FIELDS.map((f) => [f.key, String(tenant.limits[f.key] ?? "")])) as Record<
      LimitKey,
      string
    >;
  const [limits, setLimits] = useState(initialLimits);
  const [features, setFeatures] = useState<Record<string, boolean>>(() => ({ ...tenant.features }));
  const [clientError, setClientError] = useState<AppErrorInfo | null>(null);
  const mutation = useMutation(
    trpc.admin.tenants.setCustomPlan.mutationOptions({
      onSuccess: async () => {
        toast.success("Custom plan saved", `${tenant.name} has its own limits and features now.`);
        await after();
        close();
      },
    }),
  );
  const close = () => {
    setLimits(initialLimits());
    setFeatures({ ...tenant.features });
    setClientError(null);
    mutation.reset();
    onClose();
  };
  const serverError = mutation.error ? appErrorOf(mutation.error) : null;
  const errors = clientError ?? serverError;

  const submit = () => {
    const fields: { path: string; message: string }[] = [];
    const parsed: Record<string, number> = {};
    for (const f of LIMIT_FIELDS) {
      const raw = limits[f.key].trim();
      const n = Number(raw);
      if (raw === "" || !Number.isFinite(n))
        fields.push({ path: `limits.${f.key}`, message: "Enter a number." });
      else if (n !== -1 && n < 0)
        fields.push({ path: `limits.${f.key}`, message: "Tick “Unlimited”, or use 0 and above." });
      else if (f.step === 1 && !Number.isInteger(n))
        fields.push({ path: `limits.${f.key}`, message: "Use a whole number." });
      else parsed[f.key] = n;
    }
    if (fields.length) {
      setClientError({
        message: "Check the highlighted limits.",
        appCode: "VALIDATION_FAILED",
        httpStatus: 400,
        fields,
        details: {},
      });
      return;
    }
    setClientError(null);
    const allFeatures = Object.fromEntries(
      (catalog.data?.features ?? Object.keys(features)).map((f) => [f, !!features[f]]),
    );
    mutation.mutate({
      id: tenant.id,
      limits: parsed as {
        users: number;
        channels: number;
        storageGb: number;
        apiCallsPerMonth: number;
        maxUploadMb: number;
      },
      features: allFeatures as Record<string, boolean> as never,
    });
  };

  return (
    <FormDialog
      open={open}
      onClose={close}
      wide
      title="Custom limits and features"
      description={
        tenant.plan === "custom" ? (
          <>
            Adjust the Custom plan of <strong>{tenant.name}</strong>. Tick “Unlimited” for no limit.
          </>
        ) : (
          <>
            Switches <strong>{tenant.name}</strong> from {PLAN_LABEL[tenant.plan]} to the Custom plan with
            exactly these limits and features. Tick “Unlimited” for no limit.
          </>
        )
      }
      submitLabel="Save custom plan"
      busy={mutation.isPending}
      canSubmit={!!catalog.data}
      error={errors?.message ?? null}
      onSubmit={submit}
    >
      <div className="form-grid">
        {LIMIT_FIELDS.map((f) => {
          const err = fieldError(errors, `limits.${f.key}`);
          const id = `limit-${f.key}`;
          // Unlimited is stored as -1; it shows as the ticked box, never as "-1".
          const unlimited = limits[f.key].trim() === "-1";
          return (
            <div key={f.key} className="field">
              <label htmlFor={id}>
                {f.label}
                {f.unit ? <span className="muted"> ({f.unit})</span> : null}
              </label>
              <div className="input-with-toggle">
                <input
                  id={id}
                  type="number"
                  inputMode="decimal"
                  step={f.step}
                  min={0}
                  value={unlimited ? "" : limits[f.key]}
                  placeholder={unlimited ? "Unlimited" : undefined}
                  disabled={unlimited}
                  onChange={(e) => setLimits({ ...limits, [f.key]: e.target.value })}
                  aria-invalid={err ? true : undefined}
                  aria-describedby={err ? `${id}-error` : undefined}
                />
                <label className="checkbox small">
                  <input
                    type="checkbox"
                    checked={unlimited}
                    onChange={(e) =>
                      setLimits({
                        ...limits,
                        [f.key]: e.target.checked
                          ? "-1"
                          : String(catalog.data?.plans.find((p) => p.id === "pro")?.limits[f.key] ?? 0),
                      })
                    }
                  />
                  Unlimited
                </label>
              </div>
              {err ? (
                <span id={`${id}-error`} className="field-error">
                  {err}
                </span>
              ) : null}
            </div>
          );
        })}
      </div>
      <fieldset className="features-fieldset">
        <legend>Features</legend>
        <div className="feature-grid">
          {(catalog.data?.features ?? []).map((f) => (
            <label key={f} className="checkbox">
              <input
                type="checkbox"
                checked={!!features[f]}
                onChange={(e) => setFeatures({ ...features, [f]: e.target.checked })}
              />
              {FEATURE_LABEL[f] ?? f}
            </label>
          ))}
        </div>
      </fieldset>
    </FormDialog>
  );
}
