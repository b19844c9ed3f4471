"use client";

import type { RouterOutputs } from "@nchat/api";
import { FormDialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { useToast } from "@nchat/ui/toast";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { ChangePlanDialog, CustomPlanDialog } from "./plan-dialogs";
import { useAfterAction } from "./use-after-action";

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
