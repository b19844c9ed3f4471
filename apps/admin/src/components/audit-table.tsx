"use client";

import { EmptyState } from "@nchat/ui/primitives";
import Link from "next/link";
import { Fragment, useState } from "react";
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
  const cols = showTenant ? 6 : 5;
  return (
    <div className="table-wrap table-scroll">
      <table className="table table-sticky">
        <thead>
          <tr>
            <th scope="col">When</th>
            {showTenant ? <th scope="col">Tenant</th> : null}
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Change</th>
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody aria-busy={loading} className={stale ? "is-stale" : undefined}>
          {!entries && loading ? (
            <SkeletonRows cols={cols} rows={8} />
          ) : !entries || entries.length === 0 ? (
            <tr>
              <td colSpan={cols}>
                <EmptyState title={emptyText} />
              </td>
            </tr>
          ) : (
            entries.map((e) => (
              <Fragment key={e.id}>
                <tr>
                  <td className="nowrap" title={formatDateTime(e.createdAt)}>
                    {formatRelative(e.createdAt)}
                  </td>
                  {showTenant ? (
                    <td>
                      {e.tenantId && e.tenantSlug ? (
                        <Link href={`/tenants/${e.tenantId}`} className="mono nowrap">
                          {e.tenantSlug}
                        </Link>
                      ) : (
                        <span className="muted">{e.tenantId ? "purged" : "platform"}</span>
                      )}
                    </td>
                  ) : null}
                  <td>
                    <span className="actor-type nowrap">{ACTOR_LABEL[e.actorType] ?? e.actorType}</span>
                    <div className="muted small truncate" title={e.actorEmail ?? e.actorId ?? undefined}>
                      {e.actorEmail ?? e.actorId ?? ""}
                    </div>
                  </td>
                  <td>
                    <code className="action">{e.action}</code>
                  </td>
                  <td className="muted small change">{changeSummary(e.before, e.after)}</td>
                  <td className="num">
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      aria-expanded={open === e.id}
                      aria-controls={`audit-${e.id}`}
                      onClick={() => setOpen(open === e.id ? null : e.id)}
                    >
                      {open === e.id ? "Hide" : "Details"}
                    </button>
                  </td>
                </tr>
                {open === e.id ? (
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
                ) : null}
              </Fragment>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
