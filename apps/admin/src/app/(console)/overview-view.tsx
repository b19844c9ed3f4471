"use client";

import { LoadError } from "@nchat/ui/alert";
import { EmptyState, PageHeader } from "@nchat/ui/primitives";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { CHART_COLORS, StackedBars, TrendChart } from "@/components/charts";
import { Card, PlanBadge, Skeleton, StatusBadge } from "@/components/ui";
import {
  formatBytes,
  formatCompact,
  formatDate,
  formatMoney,
  formatNumber,
  formatPeriodLong,
  PLAN_LABEL,
  STATUS_LABEL,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const STATUS_COLORS: Record<string, string> = {
  active: "#10b981",
  trial: "#0ea5e9",
  past_due: "#f59e0b",
  suspended: "#ef4444",
  cancelled: "#94a3b8",
  deleted: "#475569",
};

export function OverviewView() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.admin.overview.stats.queryOptions());
  const o = stats.data;

  return (
    <>
      <PageHeader
        title="Platform overview"
        description={
          o ? `Figures for ${formatPeriodLong(o.period)} (UTC) unless noted.` : "Tenants, revenue and usage."
        }
        actions={
          <Link href="/tenants" className="btn btn-secondary">
            Browse tenants
          </Link>
        }
      />
      {stats.isError ? (
        <LoadError error={stats.error} onRetry={() => stats.refetch()} />
      ) : (
        <>
          <div className="kpis">
            <Kpi
              label="Tenants"
              value={o && formatNumber(o.totals.tenants)}
              hint={o && `${formatNumber(o.totals.paying)} paying`}
            />
            <Kpi
              label="Monthly recurring revenue"
              value={o && formatMoney(o.totals.mrrCents)}
              hint="Catalog prices; yearly ÷ 12"
            />
            <Kpi label="Sign-ups this month" value={o && formatNumber(o.totals.signups)} />
            <Kpi label="Messages this month" value={o && formatCompact(o.totals.messages)} />
            <Kpi label="Active users this month" value={o && formatNumber(o.totals.activeUsers)} />
            <Kpi label="Storage in use" value={o && formatBytes(o.totals.storageBytes)} />
          </div>

          <div className="grid grid-2">
            <Card title="Sign-ups per week" actions={<span className="muted small">Last 12 weeks</span>}>
              {o ? (
                <TrendChart
                  data={o.signupsPerWeek}
                  x="week"
                  y="count"
                  label="Sign-ups"
                  caption="This week"
                  kind="bar"
                  height={220}
                  xFormat={(w) => formatDate(`${w}T00:00:00Z`).slice(0, 6)}
                />
              ) : (
                <Skeleton height={240} />
              )}
            </Card>
            <Card title="Tenants by plan and status">
              {o ? (
                <StackedBars
                  label="Tenants by plan and status"
                  data={o.byPlanStatus.map((row) => ({ ...row, plan: PLAN_LABEL[row.plan] ?? row.plan }))}
                  x="plan"
                  series={o.byStatus
                    .filter((s) => s.count > 0)
                    .map((s) => ({
                      key: s.status,
                      label: STATUS_LABEL[s.status] ?? s.status,
                      color: STATUS_COLORS[s.status] ?? "#64748b",
                    }))}
                />
              ) : (
                <Skeleton height={240} />
              )}
            </Card>
          </div>

          <div className="grid grid-2">
            <Card
              title="Revenue by plan"
              actions={<span className="muted small">Active and past-due tenants</span>}
            >
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Plan</th>
                      <th scope="col" className="num">
                        Tenants
                      </th>
                      <th scope="col" className="num">
                        Paying
                      </th>
                      <th scope="col" className="num">
                        MRR
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {o
                      ? o.byPlan.map((p) => (
                          <tr key={p.plan}>
                            <td>
                              <PlanBadge plan={p.plan} />
                            </td>
                            <td className="num">{formatNumber(p.tenants)}</td>
                            <td className="num">{formatNumber(p.paying)}</td>
                            <td className="num">
                              {formatMoney(p.mrrCents)}
                              {p.priceOnRequest > 0 ? (
                                <span className="muted small" title="Custom plans have no catalog price">
                                  {" "}
                                  + {p.priceOnRequest} on request
                                </span>
                              ) : null}
                            </td>
                          </tr>
                        ))
                      : null}
                  </tbody>
                  {o ? (
                    <tfoot>
                      <tr>
                        <th scope="row">Total</th>
                        <td className="num">{formatNumber(o.totals.tenants)}</td>
                        <td className="num">{formatNumber(o.totals.paying)}</td>
                        <td className="num">
                          <strong>{formatMoney(o.totals.mrrCents)}</strong>
                        </td>
                      </tr>
                    </tfoot>
                  ) : null}
                </table>
              </div>
              {o ? (
                <div className="mrr-bars" aria-hidden="true">
                  {o.byPlan
                    .filter((p) => p.mrrCents > 0)
                    .map((p, i) => (
                      <span
                        key={p.plan}
                        style={{
                          flexGrow: p.mrrCents,
                          background: CHART_COLORS[(i + 1) % CHART_COLORS.length],
                        }}
                        title={`${PLAN_LABEL[p.plan]}: ${formatMoney(p.mrrCents)}`}
                      />
                    ))}
                </div>
              ) : null}
            </Card>
            <Card title="Tenants by status">
              <ul className="status-list">
                {o
                  ? o.byStatus.map((s) => (
                      <li key={s.status}>
                        <Link href={`/tenants?status=${s.status}`} className="status-link">
                          <StatusBadge status={s.status} />
                          <span className="status-bar" aria-hidden="true">
                            <span
                              style={{
                                width: `${o.totals.tenants ? (s.count / o.totals.tenants) * 100 : 0}%`,
                                background: STATUS_COLORS[s.status],
                              }}
                            />
                          </span>
                          <span className="num">{formatNumber(s.count)}</span>
                        </Link>
                      </li>
                    ))
                  : Array.from({ length: 6 }, (_, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: placeholders
                      <li key={i}>
                        <Skeleton height={22} />
                      </li>
                    ))}
              </ul>
            </Card>
          </div>

          <Card
            title="Top tenants this month"
            actions={<Link href="/tenants?sort=messages">All by usage →</Link>}
          >
            {o && o.top.length === 0 ? (
              <EmptyState title="No usage recorded this month yet." />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Tenant</th>
                      <th scope="col">Plan</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Messages
                      </th>
                      <th scope="col" className="num">
                        Active users
                      </th>
                      <th scope="col" className="num">
                        API calls
                      </th>
                      <th scope="col" className="num">
                        Storage
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {(o?.top ?? []).map((t) => (
                      <tr key={t.id}>
                        <td>
                          <Link href={`/tenants/${t.id}`} className="strong-link">
                            {t.name}
                          </Link>
                          <div className="muted small mono">{t.slug}</div>
                        </td>
                        <td>
                          <PlanBadge plan={t.plan} />
                        </td>
                        <td>
                          <StatusBadge status={t.status} />
                        </td>
                        <td className="num">{formatNumber(t.messages)}</td>
                        <td className="num">{formatNumber(t.activeUsers)}</td>
                        <td className="num">{formatNumber(t.apiCalls)}</td>
                        <td className="num">{formatBytes(t.storageBytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </>
      )}
    </>
  );
}

function Kpi({ label, value, hint }: { label: string; value?: string | null; hint?: string | null }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      {value ? <strong className="kpi-value">{value}</strong> : <Skeleton height={30} width="60%" />}
      {hint ? <span className="kpi-hint">{hint}</span> : null}
    </div>
  );
}
