"use client";

import type { RouterOutputs } from "@nchat/api";
import { LoadError } from "@nchat/ui/alert";
import { appCodeOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Menu, MenuItem } from "@nchat/ui/menu";
import { Badge, EmptyState, PageHeader } from "@nchat/ui/primitives";
import { Tabs } from "@nchat/ui/tabs";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { AuditTable } from "@/components/audit-table";
import { CHART_COLORS, TrendChart } from "@/components/charts";
import { Card, KeyValue, PlanBadge, Skeleton, StatusBadge } from "@/components/ui";
import {
  formatBytes,
  formatCompact,
  formatDate,
  formatDateTime,
  formatMoney,
  formatPeriod,
  formatRelative,
  PLAN_LABEL,
  STATUS_LABEL,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { MeteredUsagePanel } from "./metered-usage-panel";
import { type ActionName, TenantActionDialogs } from "./tenant-actions";
import { Domains, FeatureList, Meter } from "./tenant-panels";

type Detail = RouterOutputs["admin"]["tenants"]["get"];

export function TenantDetailView({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.admin.tenants.get.queryOptions({ id }));
  const [action, setAction] = useState<ActionName | null>(null);

  if (detail.isError) {
    const notFound = appCodeOf(detail.error) === "TENANT_NOT_FOUND";
    return (
      <>
        <Breadcrumb name={notFound ? "Not found" : "Error"} />
        {notFound ? (
          <Card>
            <EmptyState title="No such tenant.">
              It may have been purged. <Link href="/tenants">Back to tenants</Link>
            </EmptyState>
          </Card>
        ) : (
          <LoadError error={detail.error} onRetry={() => detail.refetch()} />
        )}
      </>
    );
  }
  const d = detail.data;
  if (!d) return <DetailSkeleton />;
  const t = d.tenant;

  return (
    <>
      <Breadcrumb name={t.name} />
      <PageHeader
        title={
          <span className="title-with-badges">
            {t.name}
            <StatusBadge status={t.status} />
            <PlanBadge plan={t.plan} />
          </span>
        }
        description={
          <span className="mono">
            {t.host} · {t.id}
          </span>
        }
        actions={<Actions detail={d} onAction={setAction} />}
      />

      {t.status === "suspended" ? (
        <div className="banner banner-danger" role="status">
          <strong>Suspended</strong>
          {d.suspension ? (
            <>
              {" "}
              {formatRelative(d.suspension.at)} by {d.suspension.by}
              {d.suspension.reason ? (
                <>
                  : <q>{d.suspension.reason}</q>
                </>
              ) : null}
            </>
          ) : null}
          . Members see the suspended page; the workspace is read-only.
        </div>
      ) : null}
      {t.status === "deleted" ? (
        <div className="banner banner-warning" role="status">
          <strong>Deleted</strong> {formatRelative(t.deletedAt)}. It no longer resolves.{" "}
          {d.retention.purgeable
            ? `The ${d.retention.days}-day retention period is over: it can be purged.`
            : `It can be restored, or purged from ${formatDate(d.retention.purgeableAt)} (${d.retention.days}-day retention).`}
        </div>
      ) : null}

      <div className="grid grid-3">
        <Card title="Profile">
          <KeyValue
            items={[
              ["Owner", <OwnerCell key="o" name={t.ownerName} email={t.ownerEmail} />],
              [
                "Created",
                <span key="c" title={formatDateTime(t.createdAt)}>
                  {formatDate(t.createdAt)}
                </span>,
              ],
              [
                "Updated",
                <span key="u" title={formatDateTime(t.updatedAt)}>
                  {formatRelative(t.updatedAt)}
                </span>,
              ],
              ["Trial ends", formatDate(t.trialEndsAt)],
              ["Schema", <code key="s">{t.schemaName}</code>],
            ]}
          />
        </Card>
        <Card
          title="Billing"
          actions={
            d.billing.mode === "offline" ? (
              <Badge tone="neutral">Offline billing</Badge>
            ) : (
              <Badge tone="info">Stripe {d.billing.mode}</Badge>
            )
          }
        >
          <KeyValue
            items={[
              ["Plan", `${PLAN_LABEL[t.plan]} · billed per ${t.billingInterval}`],
              [
                "MRR",
                d.billing.monthlyRevenue === null ? (
                  "Price on request"
                ) : ["active", "past_due"].includes(t.status) ? (
                  formatMoney(d.billing.monthlyRevenue)
                ) : (
                  <span key="m" className="muted">
                    Not counted while {STATUS_LABEL[t.status]?.toLowerCase() ?? t.status}
                  </span>
                ),
              ],
              ["Customer", <StripeId key="c" id={d.billing.customerId} url={d.billing.customerUrl} />],
              [
                "Subscription",
                <StripeId key="s" id={d.billing.subscriptionId} url={d.billing.subscriptionUrl} />,
              ],
              [
                "Period ends",
                d.billing.currentPeriodEnd
                  ? `${formatDate(d.billing.currentPeriodEnd)}${d.billing.cancelAtPeriodEnd ? " (cancels)" : ""}`
                  : "—",
              ],
              [
                "Last payment",
                d.billing.lastPaymentDate
                  ? `${formatDate(d.billing.lastPaymentDate)} · ${d.billing.lastPaymentAmount !== null ? formatMoney(d.billing.lastPaymentAmount) : ""} ${d.billing.lastPaymentStatus ?? ""}`
                  : "—",
              ],
            ]}
          />
        </Card>
        <Card title="Limits this month">
          {d.limits ? (
            <ul className="meters">
              {d.limits.map((l) => (
                <Meter key={l.resource} {...l} />
              ))}
            </ul>
          ) : (
            <p className="muted">Usage could not be read for this workspace.</p>
          )}
          <FeatureList features={t.features} platformOff={d.platformOff} />
        </Card>
      </div>

      {d.billing.mode !== "offline" ? <MeteredUsagePanel tenantId={t.id} /> : null}

      <Tabs
        label="Workspace details"
        tabs={[
          {
            id: "usage",
            label: "Usage history",
            content: (
              <Card title="Usage history" actions={<span className="muted small">Last 12 months (UTC)</span>}>
                <div className="grid grid-4 charts-grid">
                  <TrendChart
                    data={d.usageHistory}
                    x="period"
                    y="messages"
                    label="Messages"
                    xFormat={formatPeriod}
                    format={formatCompact}
                    color={CHART_COLORS[0]}
                  />
                  <TrendChart
                    data={d.usageHistory}
                    x="period"
                    y="activeUsers"
                    label="Active users"
                    xFormat={formatPeriod}
                    color={CHART_COLORS[1]}
                    kind="bar"
                  />
                  <TrendChart
                    data={d.usageHistory}
                    x="period"
                    y="storageBytes"
                    label="Storage"
                    xFormat={formatPeriod}
                    format={formatBytes}
                    color={CHART_COLORS[2]}
                  />
                  <TrendChart
                    data={d.usageHistory}
                    x="period"
                    y="apiCalls"
                    label="API calls"
                    xFormat={formatPeriod}
                    format={formatCompact}
                    color={CHART_COLORS[3]}
                    kind="bar"
                  />
                </div>
              </Card>
            ),
          },
          {
            id: "domains",
            label: `Custom domains (${d.domains.length})`,
            content: <Domains detail={d} />,
          },
          {
            id: "audit",
            label: "Audit log",
            content: (
              <Card
                title="Recent audit entries"
                actions={
                  <Link href={`/audit?tenant=${encodeURIComponent(t.slug)}`} className="small">
                    Full audit log →
                  </Link>
                }
                className="card-flush"
              >
                <AuditTable entries={d.audit} emptyText="No audit entries for this workspace." />
              </Card>
            ),
          },
        ]}
      />

      <TenantActionDialogs detail={d} action={action} onClose={() => setAction(null)} />
    </>
  );
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link href="/tenants">Tenants</Link>
        </li>
        <li aria-current="page">{name}</li>
      </ol>
    </nav>
  );
}

function Actions({ detail, onAction }: { detail: Detail; onAction: (a: ActionName) => void }) {
  const t = detail.tenant;
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const invalidate = useMutation(
    trpc.admin.tenants.invalidateCache.mutationOptions({
      onSuccess: (r) => {
        toast.success(
          "Cache invalidated",
          `${r.slug}${r.domains.length ? ` and ${r.domains.length} domain(s)` : ""} will be read fresh everywhere.`,
        );
        void queryClient.invalidateQueries(trpc.admin.tenants.get.queryFilter({ id: t.id }));
      },
      onError: (e) => toast.error("Cache invalidation failed", errorMessage(e)),
    }),
  );
  if (t.status === "deleted") {
    return (
      <div className="action-bar">
        <button type="button" className="btn btn-secondary" onClick={() => onAction("restore")}>
          Restore
        </button>
        <button type="button" className="btn btn-danger" onClick={() => onAction("purge")}>
          Purge…
        </button>
      </div>
    );
  }
  return (
    <div className="action-bar">
      <button type="button" className="btn btn-primary" onClick={() => onAction("plan")}>
        Change plan
      </button>
      <button type="button" className="btn btn-secondary" onClick={() => onAction("custom")}>
        Custom limits
      </button>
      {t.status === "suspended" ? (
        <button type="button" className="btn btn-secondary" onClick={() => onAction("reactivate")}>
          Reactivate
        </button>
      ) : (
        <button type="button" className="btn btn-danger-outline" onClick={() => onAction("suspend")}>
          Suspend…
        </button>
      )}
      <Menu
        label={
          <>
            More <Icon name="chevron-down" size={14} />
          </>
        }
        ariaLabel="More actions"
      >
        <MenuItem onSelect={() => invalidate.mutate({ id: t.id })} disabled={invalidate.isPending}>
          Invalidate cache
        </MenuItem>
        <MenuItem tone="danger" onSelect={() => onAction("delete")}>
          Delete workspace…
        </MenuItem>
      </Menu>
    </div>
  );
}

function OwnerCell({ name, email }: { name: string; email: string }) {
  return (
    <span>
      {name}
      <br />
      <a href={`mailto:${email}`} className="small">
        {email}
      </a>
    </span>
  );
}

function StripeId({ id, url }: { id: string | null; url: string | null }) {
  if (!id) return <span className="muted">—</span>;
  return url ? (
    <a href={url} target="_blank" rel="noopener noreferrer" className="mono small">
      {id} ↗<span className="sr-only"> (opens the Stripe dashboard)</span>
    </a>
  ) : (
    <span className="mono small">{id}</span>
  );
}

function DetailSkeleton() {
  return (
    <div aria-busy="true">
      <span className="sr-only" role="status">
        Loading tenant…
      </span>
      <Skeleton height={18} width={160} />
      <div style={{ height: 12 }} />
      <Skeleton height={34} width="40%" />
      <div style={{ height: 24 }} />
      <div className="grid grid-3">
        <Skeleton height={220} />
        <Skeleton height={220} />
        <Skeleton height={220} />
      </div>
      <div style={{ height: 24 }} />
      <Skeleton height={240} />
    </div>
  );
}
