"use client";

import { LoadError } from "@nchat/ui/alert";
import { PageHeader } from "@nchat/ui/primitives";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { AuditTable } from "@/components/audit-table";
import { CursorPagination } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";
import { useSearchState } from "@/lib/use-search-state";

const KNOWN_ACTIONS = [
  "tenant.*",
  "tenant.create",
  "tenant.update",
  "tenant.plan_change",
  "tenant.status_suspended",
  "tenant.status_active",
  "tenant.delete",
  "tenant.restore",
  "tenant.purge",
  "tenant.cache_invalidate",
  "settings.update",
  "domain.*",
  "domain.add",
  "domain.verify",
  "domain.verify_failed",
  "domain.verification_lost",
  "domain.remove",
  "member.*",
  "api_key.*",
  "super_admin.create",
];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A day (UTC) from the URL, or undefined. */
const day = (v: string, plusDays = 0) =>
  DATE.test(v) ? new Date(Date.parse(`${v}T00:00:00Z`) + plusDays * 86_400_000) : undefined;

export function AuditView() {
  const trpc = useTRPC();
  const { get, set } = useSearchState();
  const filters = {
    tenant: get("tenant"),
    actor: get("actor"),
    action: get("action"),
    from: get("from"),
    to: get("to"),
  };
  const [draft, setDraft] = useState(filters);
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(JSON.parse(key)), [key]);
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start at the first page
  useEffect(() => setCursors([undefined]), [key]);

  const input = {
    tenant: filters.tenant || undefined,
    actor: filters.actor || undefined,
    action: filters.action || undefined,
    from: day(filters.from),
    until: day(filters.to, 1),
    cursor: cursors.at(-1),
    limit: 50,
  };
  const log = useQuery({ ...trpc.admin.logs.audit.queryOptions(input), placeholderData: keepPreviousData });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    set(draft);
  };
  const active = Object.values(filters).some(Boolean);

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every recorded change across all workspaces and the platform, newest first. Times in UTC."
      />
      <form className="filters card" onSubmit={apply} aria-label="Audit log filters">
        <div className="field">
          <label htmlFor="f-tenant">Tenant</label>
          <input
            id="f-tenant"
            placeholder="slug or id"
            value={draft.tenant}
            onChange={(e) => setDraft({ ...draft, tenant: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="f-actor">Actor</label>
          <input
            id="f-actor"
            placeholder="email prefix, id, or system / super_admin / user"
            value={draft.actor}
            onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="f-action">Action</label>
          <input
            id="f-action"
            list="known-actions"
            placeholder="e.g. tenant.plan_change or tenant.*"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
          <datalist id="known-actions">
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="f-from">From</label>
          <input
            id="f-from"
            type="date"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="f-to">To (inclusive)</label>
          <input
            id="f-to"
            type="date"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
          {active ? (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => set({ tenant: null, actor: null, action: null, from: null, to: null })}
            >
              Reset
            </button>
          ) : null}
        </div>
      </form>

      <div className="card card-flush">
        {log.isError && !log.data ? (
          <LoadError error={log.error} onRetry={() => log.refetch()} />
        ) : (
          <>
            <AuditTable
              entries={log.data?.items}
              loading={log.isLoading}
              showTenant
              stale={log.isPlaceholderData}
              emptyText={active ? "No entries match these filters." : "The audit log is empty."}
            />
            <CursorPagination
              page={cursors.length}
              count={log.data?.items.length ?? 0}
              hasNext={!!log.data?.nextCursor}
              busy={log.isFetching}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={() => log.data?.nextCursor && setCursors([...cursors, log.data.nextCursor])}
            />
          </>
        )}
      </div>
    </>
  );
}
