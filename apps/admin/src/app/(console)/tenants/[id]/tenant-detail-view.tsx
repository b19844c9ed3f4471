"use client";

import type { RouterOutputs } from "@nchat/api";
import { LoadError } from "@nchat/ui/alert";
import { appCodeOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Menu, MenuItem } from "@nchat/ui/menu";
import { Badge, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { Tabs } from "@nchat/ui/tabs";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { AuditTable } from "@/components/audit-table";
import { CHART_COLORS, TrendChart } from "@/components/charts";
import { Card, KeyValue, PlanBadge, Skeleton, StatusBadge } from "@/components/ui";
import {
  FEATURE_LABEL,
  formatBytes,
  formatCompact,
  formatDate,
  formatDateTime,
  formatMoney,
  formatNumber,
  formatPeriod,
  formatRelative,
  PLAN_LABEL,
  RESOURCE_LABEL,
  STATUS_LABEL,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { type ActionName, TenantActionDialogs } from "./tenant-actions";

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

function Meter({ resource, used, limit, exceeded, atLimit }: NonNullable<Detail["limits"]>[number]) {
  const unlimited = limit < 0;
  const pct = unlimited ? 0 : limit === 0 ? 100 : Math.min(100, (used / limit) * 100);
  const fmt = resource === "storage" ? formatBytes : formatNumber;
  const tone = exceeded ? "over" : atLimit ? "full" : pct >= 80 ? "warn" : "ok";
  return (
    <li className="meter">
      <div className="meter-label">
        <span>{RESOURCE_LABEL[resource] ?? resource}</span>
        <span className="mono small">
          {fmt(used)} / {unlimited ? "Unlimited" : fmt(limit)}
        </span>
      </div>
      <div className={`meter-track meter-${tone}`} aria-hidden="true">
        <span style={{ width: `${unlimited ? 2 : pct}%` }} />
      </div>
    </li>
  );
}

function FeatureList({
  features,
  platformOff,
}: {
  features: Record<string, boolean>;
  /** Features this platform has off, with the setting that turns them on. */
  platformOff: Detail["platformOff"];
}) {
  const entries = Object.entries(FEATURE_LABEL);
  const blocked = entries.filter(([key]) => features[key] && platformOff.some((o) => o.feature === key));
  return (
    <div className="feature-list">
      <h3 className="subheading">Features</h3>
      <ul className="chips">
        {entries.map(([key, label]) => {
          const off = platformOff.find((o) => o.feature === key);
          const state = !features[key] ? "off" : off ? "platform" : "on";
          return (
            <li
              key={key}
              className={`chip ${state === "on" ? "chip-on" : "chip-off"}`}
              title={
                off && features[key]
                  ? `In plan, but disabled on this platform (set ${off.setting})`
                  : undefined
              }
            >
              <span aria-hidden="true">{state === "on" ? "✓" : state === "platform" ? "!" : "–"}</span>{" "}
              {label}
              <span className="sr-only">
                {state === "on"
                  ? " (on)"
                  : state === "platform"
                    ? " (in plan, disabled on this platform)"
                    : " (off)"}
              </span>
            </li>
          );
        })}
      </ul>
      {blocked.map(([key, label]) => (
        <p key={key} className="muted small" data-testid={`platform-off-${key}`}>
          {label}: in plan, but disabled on this platform (set{" "}
          <code>{platformOff.find((o) => o.feature === key)?.setting}</code>)
        </p>
      ))}
    </div>
  );
}

function Domains({ detail }: { detail: Detail }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const verify = useMutation(
    trpc.admin.tenants.verifyDomain.mutationOptions({
      onSuccess: (r) => {
        if (r.status === "verified") toast.success("Domain verified", r.domain);
        else toast.info(`Domain ${r.status}`, r.lastError ?? r.domain);
        void queryClient.invalidateQueries(trpc.admin.pathFilter());
      },
      onError: (e) => toast.error("Verification failed", errorMessage(e)),
    }),
  );
  return (
    <Card title="Custom domains" className="card-flush">
      {detail.domains.length === 0 ? (
        <EmptyState title="No custom domains." />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">Status</th>
                <th scope="col">Verified</th>
                <th scope="col">Last checked</th>
                <th scope="col">TXT record</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {detail.domains.map((dom) => (
                <tr key={dom.id}>
                  <td className="mono">{dom.domain}</td>
                  <td>
                    <Badge
                      tone={
                        dom.status === "verified" ? "success" : dom.status === "failed" ? "danger" : "warning"
                      }
                    >
                      {dom.status}
                    </Badge>
                    {dom.lastError ? <div className="muted small">{dom.lastError}</div> : null}
                  </td>
                  <td>{formatDate(dom.verifiedAt)}</td>
                  <td title={formatDateTime(dom.lastCheckedAt)}>{formatRelative(dom.lastCheckedAt)}</td>
                  <td className="mono small">
                    {dom.record.name}
                    <br />
                    <span className="muted">{dom.record.value}</span>
                  </td>
                  <td className="num">
                    <button
                      type="button"
                      className="btn btn-secondary btn-sm"
                      disabled={verify.isPending}
                      onClick={() => verify.mutate({ id: detail.tenant.id, domainId: dom.id })}
                    >
                      {verify.isPending && verify.variables?.domainId === dom.id ? (
                        <Spinner label="Checking" />
                      ) : null}
                      Re-verify
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
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
