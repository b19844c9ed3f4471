"use client";

import { LoadError } from "@nchat/ui/alert";
import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { roleAtLeast, useSessionUser } from "@/components/tenant";
import { Alert, Button, Field, LoadMore } from "@/components/ui";
import { formatDateTime, formatLimitValue } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Entry = RouterOutputs["audit"]["list"]["items"][number];

/** Actions the platform records (free text is accepted too). */
const ACTIONS = [
  "api_key.create",
  "api_key.revoke",
  "billing.cancel",
  "billing.checkout_completed",
  "billing.payment_failed",
  "billing.payment_succeeded",
  "billing.plan_change",
  "billing.resume",
  "billing.status_change",
  "billing.subscription_update",
  "billing.trial_expired",
  "domain.add",
  "domain.remove",
  "domain.verify",
  "domain.verify_failed",
  "member.invite",
  "member.invite_revoke",
  "member.join",
  "member.reinvite",
  "member.remove",
  "member.role_change",
  "member.two_factor_reset",
  "settings.update",
  "tenant.create",
  "tenant.delete",
  "tenant.plan_change",
  "tenant.status_active",
  "tenant.status_suspended",
  "tenant.update",
  "user.password_changed",
  "user.recovery_codes_renewed",
  "user.renamed",
  "user.sessions_ended",
  "user.two_factor_off",
  "user.two_factor_on",
];

export function AuditView() {
  const me = useSessionUser();
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [actorId, setActorId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const members = useQuery({ ...trpc.members.list.queryOptions(), enabled: roleAtLeast(me.role, "admin") });
  const input = {
    limit: 50,
    ...(action ? { action } : {}),
    ...(actorId ? { actorId } : {}),
    ...(from ? { from: new Date(`${from}T00:00:00`) } : {}),
    ...(to ? { to: new Date(`${to}T23:59:59.999`) } : {}),
  };
  const q = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions(input, {
      getNextPageParam: (last) => last.nextCursor ?? undefined,
    }),
    enabled: roleAtLeast(me.role, "admin"),
  });

  if (!roleAtLeast(me.role, "admin"))
    return (
      <main className="page">
        <PageHeader title="Audit log" />
        <Alert tone="info">Only workspace owners and admins can read the audit log.</Alert>
      </main>
    );

  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  // The known actions, and any other the log holds (new kinds show up without a release).
  const actions = [
    ...new Set([...ACTIONS, ...items.map((i) => i.action), ...(action ? [action] : [])]),
  ].sort();
  const filtered = Boolean(action || actorId || from || to);
  return (
    <main className="page" aria-labelledby="audit-title">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href="/settings">Settings</Link>
        <Icon name="chevron-right" size={14} />
        <span aria-current="page">Audit log</span>
      </nav>
      <PageHeader
        title={<span id="audit-title">Audit log</span>}
        description="Every administrative change in this workspace: who did what, when, and what changed."
      />
      <form className="card filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <Field label="Action" id="f-action">
          <select id="f-action" value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">All actions</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Person" id="f-actor">
          <select id="f-actor" value={actorId} onChange={(e) => setActorId(e.target.value)}>
            <option value="">Anyone</option>
            {(members.data?.members ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.email})
              </option>
            ))}
          </select>
        </Field>
        <Field label="From" id="f-from">
          <input id="f-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label="To" id="f-to">
          <input id="f-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        {filtered ? (
          <div className="form-actions">
            <Button
              variant="ghost"
              onClick={() => {
                setAction("");
                setActorId("");
                setFrom("");
                setTo("");
              }}
            >
              Clear filters
            </Button>
          </div>
        ) : null}
      </form>

      {q.isPending ? (
        <div className="center-pad">
          <Spinner label="Loading the audit log" />
        </div>
      ) : q.isError ? (
        <LoadError error={q.error} onRetry={() => q.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState icon="list" title={filtered ? "Nothing matches these filters" : "No entries yet"} />
      ) : (
        <section className="card table-card" aria-label="Entries">
          <div className="table-scroll">
            <DataTable
              className="table audit-table"
              columns={COLUMNS}
              rows={items}
              getRowId={(e) => String(e.id)}
            />
          </div>
          <LoadMore query={q} label="Load older entries" />
        </section>
      )}
    </main>
  );
}

const COLUMNS: DataColumn<Entry>[] = [
  {
    id: "when",
    header: "When",
    cellClassName: "nowrap muted",
    cell: (entry) => formatDateTime(entry.createdAt),
  },
  {
    id: "who",
    header: "Who",
    cell: (entry) => (
      <>
        <div>{entry.actorEmail ?? entry.actorType}</div>
        {entry.ip ? <div className="person-sub mono">{entry.ip}</div> : null}
      </>
    ),
  },
  {
    id: "action",
    header: "Action",
    cell: (entry) => (
      <>
        <Badge
          code
          tone={
            entry.action.includes("remove") ||
            entry.action.includes("revoke") ||
            entry.action.includes("delete")
              ? "danger"
              : "neutral"
          }
        >
          {entry.action}
        </Badge>
        <div className="person-sub">
          {entry.resourceType}
          {entry.resourceId ? ` · ${entry.resourceId.slice(0, 8)}` : ""}
        </div>
      </>
    ),
  },
  {
    id: "change",
    header: "Change",
    className: "hide-sm",
    cell: (entry) => <ChangeSummary before={entry.before} after={entry.after} />,
  },
];

function ChangeSummary({ before, after }: { before: unknown; after: unknown }) {
  const b = (before && typeof before === "object" ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === "object" ? after : {}) as Record<string, unknown>;
  // Entries record changed fields only; older ones listed every field saved: skip the unchanged.
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !(k in b && k in a && JSON.stringify(b[k]) === JSON.stringify(a[k])))
    .slice(0, 6);
  if (keys.length === 0) return <span className="muted">—</span>;
  const show = (v: unknown): string => {
    if (v === undefined || v === null) return "—";
    if (typeof v === "string") return /^\d{4}-\d{2}-\d{2}T/.test(v) ? formatDateTime(v) : v;
    if (typeof v === "object" && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) return "—";
      // One level of a flat object reads better as "key: value · key: value".
      if (entries.every(([, x]) => x === null || typeof x !== "object"))
        return entries.map(([k, x]) => `${k}: ${formatLimitValue(k, x) ?? show(x)}`).join(" · ");
    }
    return JSON.stringify(v);
  };
  return (
    <dl className="change-list">
      {keys.map((k) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {k in b && k in a ? (
              <>
                <span className="change-before">{show(b[k])}</span> → <span>{show(a[k])}</span>
              </>
            ) : (
              <span>{show(k in a ? a[k] : b[k])}</span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
