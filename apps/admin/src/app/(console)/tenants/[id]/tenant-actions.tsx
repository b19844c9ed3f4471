"use client";

import type { RouterOutputs } from "@nchat/api";
import { FormDialog } from "@nchat/ui/dialog";
import { type AppErrorInfo, appErrorOf, errorMessage, fieldError } from "@nchat/ui/errors";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import {
  FEATURE_LABEL,
  formatDate,
  formatGigabytes,
  formatMoney,
  formatNumber,
  PLAN_LABEL,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type Detail = RouterOutputs["admin"]["tenants"]["get"];
type Tenant = Detail["tenant"];
export type ActionName =
  | "plan"
  | "custom"
  | "suspend"
  | "reactivate"
  | "delete"
  | "restore"
  | "purge"
  | "invalidate";

/** After any action: refetch everything the console shows (lists, detail, overview, logs). */
function useAfterAction() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.admin.pathFilter());
}

export function TenantActionDialogs({
  detail,
  action,
  onClose,
}: {
  detail: Detail;
  action: ActionName | null;
  onClose: () => void;
}) {
  const t = detail.tenant;
  return (
    <>
      <ChangePlanDialog tenant={t} open={action === "plan"} onClose={onClose} />
      <CustomPlanDialog tenant={t} open={action === "custom"} onClose={onClose} />
      <SuspendDialog tenant={t} open={action === "suspend"} onClose={onClose} />
      <SimpleActionDialog tenant={t} kind="reactivate" open={action === "reactivate"} onClose={onClose} />
      <SimpleActionDialog
        tenant={t}
        kind="delete"
        open={action === "delete"}
        onClose={onClose}
        retentionDays={detail.retention.days}
      />
      <SimpleActionDialog tenant={t} kind="restore" open={action === "restore"} onClose={onClose} />
      <PurgeDialog detail={detail} open={action === "purge"} onClose={onClose} />
    </>
  );
}

function ChangePlanDialog({ tenant, open, onClose }: { tenant: Tenant; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const after = useAfterAction();
  const catalog = useQuery({ ...trpc.admin.overview.catalog.queryOptions(), enabled: open });
  const [plan, setPlan] = useState<string>("");
  const selected = plan || tenant.plan;
  const mutation = useMutation(
    trpc.admin.tenants.changePlan.mutationOptions({
      onSuccess: async (r) => {
        toast.success("Plan changed", `${tenant.name} is now on ${PLAN_LABEL[r.plan]}.`);
        await after();
        close();
      },
    }),
  );
  const close = () => {
    setPlan("");
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
          Limits and features are reset to the new plan&apos;s defaults. The change applies to{" "}
          <strong>{tenant.name}</strong> at once; a Stripe subscription, if any, is not changed from here.
        </>
      }
      submitLabel={`Switch to ${PLAN_LABEL[selected] ?? selected}`}
      canSubmit={selected !== tenant.plan}
      busy={mutation.isPending}
      error={mutation.error ? errorMessage(mutation.error) : null}
      onSubmit={() => mutation.mutate({ id: tenant.id, plan: selected as Tenant["plan"] })}
    >
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

function CustomPlanDialog({ tenant, open, onClose }: { tenant: Tenant; open: boolean; onClose: () => void }) {
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

function SuspendDialog({ tenant, open, onClose }: { tenant: Tenant; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const after = useAfterAction();
  const [reason, setReason] = useState("");
  const mutation = useMutation(
    trpc.admin.tenants.suspend.mutationOptions({
      onSuccess: async () => {
        toast.success("Workspace suspended", `${tenant.name} now shows the suspended page.`);
        await after();
        close();
      },
    }),
  );
  const close = () => {
    setReason("");
    mutation.reset();
    onClose();
  };
  const tooShort = reason.trim().length < 3;
  return (
    <FormDialog
      open={open}
      onClose={close}
      tone="danger"
      title={`Suspend ${tenant.name}?`}
      description={
        <>
          Members see a &ldquo;workspace suspended&rdquo; page and the workspace becomes read-only until it is
          reactivated. No data is deleted. The reason is recorded in the audit log.
        </>
      }
      submitLabel="Suspend workspace"
      canSubmit={!tooShort}
      busy={mutation.isPending}
      error={mutation.error ? errorMessage(mutation.error) : null}
      onSubmit={() => mutation.mutate({ id: tenant.id, reason: reason.trim() })}
    >
      <div className="field">
        <label htmlFor="suspend-reason">Reason</label>
        <textarea
          id="suspend-reason"
          rows={3}
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. Unpaid invoices since March; abuse report #123"
          aria-describedby="suspend-reason-hint"
          required
        />
        <span id="suspend-reason-hint" className="field-hint">
          At least 3 characters; {500 - reason.length} left.
        </span>
      </div>
    </FormDialog>
  );
}

const SIMPLE = {
  reactivate: {
    title: (n: string) => `Reactivate ${n}?`,
    body: () => "Members get full access again right away.",
    submit: "Reactivate",
    tone: "primary" as const,
    done: (n: string) => [`Workspace reactivated`, `${n} is active again.`],
  },
  delete: {
    title: (n: string) => `Delete ${n}?`,
    body: (days: number) =>
      `The workspace stops resolving immediately: members can no longer reach it. Its data is kept and it can be restored for ${days} days; after that it can be purged for good.`,
    submit: "Delete workspace",
    tone: "danger" as const,
    done: (n: string) => [`Workspace deleted`, `${n} can be restored until it is purged.`],
  },
  restore: {
    title: (n: string) => `Restore ${n}?`,
    body: () => "The workspace resolves again with the status it had before it was deleted.",
    submit: "Restore workspace",
    tone: "primary" as const,
    done: (n: string) => [`Workspace restored`, `${n} is reachable again.`],
  },
};

function SimpleActionDialog({
  tenant,
  kind,
  open,
  onClose,
  retentionDays = 30,
}: {
  tenant: Tenant;
  kind: keyof typeof SIMPLE;
  open: boolean;
  onClose: () => void;
  retentionDays?: number;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const after = useAfterAction();
  const spec = SIMPLE[kind];
  const options = {
    onSuccess: async () => {
      const [title, detail] = spec.done(tenant.name);
      toast.success(title!, detail);
      await after();
      close();
    },
  };
  const reactivate = useMutation(trpc.admin.tenants.reactivate.mutationOptions(options));
  const remove = useMutation(trpc.admin.tenants.softDelete.mutationOptions(options));
  const restore = useMutation(trpc.admin.tenants.restore.mutationOptions(options));
  const mutation = kind === "reactivate" ? reactivate : kind === "delete" ? remove : restore;
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <FormDialog
      open={open}
      onClose={close}
      tone={spec.tone}
      title={spec.title(tenant.name)}
      description={spec.body(retentionDays)}
      submitLabel={spec.submit}
      busy={mutation.isPending}
      error={mutation.error ? errorMessage(mutation.error) : null}
      onSubmit={() => mutation.mutate({ id: tenant.id })}
    />
  );
}

function PurgeDialog({ detail, open, onClose }: { detail: Detail; open: boolean; onClose: () => void }) {
  const t = detail.tenant;
  const trpc = useTRPC();
  const toast = useToast();
  const router = useRouter();
  const after = useAfterAction();
  const [typed, setTyped] = useState("");
  const mutation = useMutation(
    trpc.admin.tenants.purge.mutationOptions({
      onSuccess: async () => {
        toast.success("Workspace purged", `${t.slug} and all its data are gone.`);
        await after();
        close();
        router.replace("/tenants");
      },
    }),
  );
  const close = () => {
    setTyped("");
    mutation.reset();
    onClose();
  };
  const { purgeable, purgeableAt } = detail.retention;
  return (
    <FormDialog
      open={open}
      onClose={close}
      tone="danger"
      title={`Purge ${t.name} for good?`}
      description={
        purgeable ? (
          <>
            This drops the workspace&apos;s schema, role and every row that belongs to it. It cannot be
            undone. Type <strong className="mono">{t.slug}</strong> to confirm.
          </>
        ) : (
          <>
            A deleted workspace can be purged {detail.retention.days} days after deletion:{" "}
            <strong>from {formatDate(purgeableAt)}</strong>.
          </>
        )
      }
      submitLabel="Purge permanently"
      canSubmit={purgeable && typed === t.slug}
      busy={mutation.isPending}
      error={mutation.error ? errorMessage(mutation.error) : null}
      onSubmit={() => mutation.mutate({ id: t.id, confirmSlug: typed })}
    >
      {purgeable ? (
        <div className="field">
          <label htmlFor="purge-confirm">Workspace address</label>
          <input
            id="purge-confirm"
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            placeholder={t.slug}
            className="mono"
          />
        </div>
      ) : null}
    </FormDialog>
  );
}
