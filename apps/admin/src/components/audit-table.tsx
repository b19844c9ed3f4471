"use client";

import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { EmptyState } from "@nchat/ui/primitives";
import Link from "next/link";
import { useMemo, useState } from "react";
import { formatDateTime, formatLimitValue, formatRelative } from "@/lib/format";
import { SkeletonRows } from "./ui";

export type AuditEntry = {
  id: number;
  tenantId: string | null;
  tenantSlug?: string | null;
  tenantName?: string | null;
  actorType: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
};

const ACTOR_LABEL: Record<string, string> = {
  system: "System",
  super_admin: "Super admin",
  user: "User",
  api_key: "API key",
};

/** Keys worth reading first in a change. */
const FIRST = ["status", "billingPlan", "reason", "name", "slug", "domain", "role", "email"];

const show = (v: unknown) => {
  if (v === undefined) return "∅";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 32 ? `${s.slice(0, 29)}…` : s;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** What changed, "key: before → after" (objects one level down: "limits.users: 10 → 100"), compactly. */
export function changeSummary(before: unknown, after: unknown, max = 4): string {
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const parts: { key: string; text: string }[] = [];
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const [x, y] = [b[k], a[k]];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isRecord(x) && isRecord(y)) {
      for (const sub of new Set([...Object.keys(x), ...Object.keys(y)]))
        if (JSON.stringify(x[sub]) !== JSON.stringify(y[sub])) {
          // Plan limits read as people say them: "Unlimited", "1 GB" (not -1, 1024).
          const f = (v: unknown) => (k === "limits" ? formatLimitValue(sub, v) : null) ?? show(v);
          parts.push({ key: k, text: `${k}.${sub}: ${f(x[sub])} → ${f(y[sub])}` });
        }
    } else if (k in b && k in a) parts.push({ key: k, text: `${k}: ${show(x)} → ${show(y)}` });
    else parts.push({ key: k, text: `${k}: ${show(k in a ? y : x)}` });
  }
  const rank = (key: string) => (FIRST.includes(key) ? FIRST.indexOf(key) : FIRST.length);
  parts.sort((p, q) => rank(p.key) - rank(q.key));
  const shown = parts.slice(0, max).map((p) => p.text);
  return parts.length > max ? `${shown.join(" · ")} · +${parts.length - max} more` : shown.join(" · ");
}

/** Audit entries with expandable before/after; `showTenant` adds the tenant column (cross-tenant log). */
export function AuditTable({
  entries,
  loading,
  showTenant,
  emptyText = "No audit entries.",
  stale,
}: {
  entries: AuditEntry[] | undefined;
  loading?: boolean;
  showTenant?: boolean;
  emptyText?: string;
  /** Showing the previous results while new ones load. */
  stale?: boolean;
}) {
  const [open, setOpen] = useState<number | null>(null);
  const columns = useMemo<DataColumn<AuditEntry>[]>(
    () => [
      {
        id: "when",
        header: "When",
        cellClassName: "nowrap",
        cellProps: (e) => ({ title: formatDateTime(e.createdAt) }),
        cell: (e) => formatRelative(e.createdAt),
      },
      ...(showTenant
        ? [
            {
              id: "tenant",
              header: "Tenant",
              cell: (e: AuditEntry) =>
                e.tenantId && e.tenantSlug ? (
                  <Link href={`/tenants/${e.tenantId}`} className="mono nowrap">
                    {e.tenantSlug}
                  </Link>
                ) : (
                  <span className="muted">{e.tenantId ? "purged" : "platform"}</span>
                ),
            },
          ]
        : []),
      {
        id: "actor",
        header: "Actor",
        cell: (e) => (
          <>
            <span className="actor-type nowrap">{ACTOR_LABEL[e.actorType] ?? e.actorType}</span>
            <div className="muted small truncate" title={e.actorEmail ?? e.actorId ?? undefined}>
              {e.actorEmail ?? e.actorId ?? ""}
            </div>
          </>
        ),
      },
      { id: "action", header: "Action", cell: (e) => <code className="action">{e.action}</code> },
      {
        id: "change",
        header: "Change",
        cellClassName: "muted small change",
        cell: (e) => changeSummary(e.before, e.after),
      },
      {
        id: "details",
        header: <span className="sr-only">Details</span>,
        cellClassName: "num",
        cell: (e) => (
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            aria-expanded={open === e.id}
            aria-controls={`audit-${e.id}`}
            onClick={() => setOpen(open === e.id ? null : e.id)}
          >
            {open === e.id ? "Hide" : "Details"}
          </button>
        ),
      },
    ],
    [showTenant, open],
  );
  return (
    <div className="table-wrap table-scroll">
      <DataTable
        className="table table-sticky"
        columns={columns}
        rows={entries}
        getRowId={(e) => String(e.id)}
        bodyProps={{ "aria-busy": loading, className: stale ? "is-stale" : undefined }}
        placeholder={!entries && loading ? <SkeletonRows cols={columns.length} rows={8} /> : null}
        empty={<EmptyState title={emptyText} />}
        renderRow={(e, cells) => (
          <>
            <tr>{cells}</tr>
            {open === e.id ? <AuditDetail entry={e} cols={columns.length} /> : null}
          </>
        )}
      />
    </div>
  );
}

function AuditDetail({ entry: e, cols }: { entry: AuditEntry; cols: number }) {
  return (
    <tr className="detail-row" id={`audit-${e.id}`}>
      <td colSpan={cols}>
        <div className="audit-detail">
          <div>
            <h3>Before</h3>
            <pre className="json">{JSON.stringify(e.before, null, 2) ?? "null"}</pre>
          </div>
          <div>
            <h3>After</h3>
            <pre className="json">{JSON.stringify(e.after, null, 2) ?? "null"}</pre>
          </div>
          <dl className="kv kv-compact">
            <div className="kv-row">
              <dt>Time</dt>
              <dd>{formatDateTime(e.createdAt)}</dd>
            </div>
            <div className="kv-row">
              <dt>Resource</dt>
              <dd className="mono">
                {e.resourceType}
                {e.resourceId ? ` ${e.resourceId}` : ""}
              </dd>
            </div>
            <div className="kv-row">
              <dt>Actor id</dt>
              <dd className="mono">{e.actorId ?? "—"}</dd>
            </div>
            <div className="kv-row">
              <dt>IP</dt>
              <dd className="mono">{e.ip ?? "—"}</dd>
            </div>
            <div className="kv-row">
              <dt>User agent</dt>
              <dd className="small">{e.userAgent ?? "—"}</dd>
            </div>
          </dl>
        </div>
      </td>
    </tr>
  );
}
