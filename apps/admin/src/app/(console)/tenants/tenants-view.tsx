"use client";

import type { RouterInputs, RouterOutputs } from "@nchat/api";
import { LoadError } from "@nchat/ui/alert";
import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { EmptyState, PageHeader } from "@nchat/ui/primitives";
import { useDebounced } from "@nchat/ui/use-debounced";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { Pagination, PlanBadge, SkeletonRows, StatusBadge } from "@/components/ui";
import { formatBytes, formatDate, formatNumber, formatPeriod, PLAN_LABEL, STATUS_LABEL } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useSearchState } from "@/lib/use-search-state";

type ListInput = RouterInputs["admin"]["tenants"]["list"];
type Sort = NonNullable<ListInput["sort"]>;

const SORTS: { key: Sort; label: string }[] = [
  { key: "created", label: "Created" },
  { key: "name", label: "Name" },
  { key: "messages", label: "Messages this month" },
  { key: "activeUsers", label: "Active users this month" },
  { key: "storage", label: "Storage" },
  { key: "apiCalls", label: "API calls this month" },
];
const PLANS = ["free", "pro", "enterprise", "custom"] as const;
const STATUSES = ["trial", "active", "past_due", "suspended", "cancelled", "deleted"] as const;
type Tenant = RouterOutputs["admin"]["tenants"]["list"]["items"][number];

/** Sortable columns sort on the server (`sort`/`dir` in the URL); the name sorts A→Z first. */
const COLUMNS: DataColumn<Tenant>[] = [
  {
    id: "name",
    header: "Tenant",
    sort: { first: "asc" },
    cell: (t) => (
      <>
        <Link href={`/tenants/${t.id}`} className="strong-link">
          {t.name}
        </Link>
        <div className="muted small mono">
          {t.slug}
          {t.domains.length ? ` · ${t.domains.join(", ")}` : ""}
        </div>
      </>
    ),
  },
  { id: "plan", header: "Plan", cell: (t) => <PlanBadge plan={t.plan} /> },
  { id: "status", header: "Status", cell: (t) => <StatusBadge status={t.status} /> },
  {
    id: "owner",
    header: "Owner",
    cellClassName: "truncate",
    cellProps: (t) => ({ title: t.ownerEmail }),
    cell: (t) => t.ownerEmail,
  },
  {
    id: "messages",
    header: "Messages",
    className: "num",
    sort: { first: "desc" },
    cell: (t) => formatNumber(t.usage.messages),
  },
  {
    id: "activeUsers",
    header: "Active users",
    className: "num",
    sort: { first: "desc" },
    cell: (t) => formatNumber(t.usage.activeUsers),
  },
  {
    id: "storage",
    header: "Storage",
    className: "num",
    sort: { first: "desc" },
    cell: (t) => formatBytes(t.usage.storageBytes),
  },
  {
    id: "created",
    header: "Created",
    sort: { first: "desc" },
    cellClassName: "nowrap",
    cell: (t) => formatDate(t.createdAt),
  },
];

export function TenantsView() {
  const trpc = useTRPC();
  const { get, set } = useSearchState();
  const [q, setQ] = useState(get("q"));
  const debouncedQ = useDebounced(q.trim(), 250);

  // Keep the search box and the URL in step: typing updates the URL (debounced); back/forward and
  // "Clear filters" update the box.
  const urlQ = get("q");
  const lastPushed = useRef(urlQ);
  useEffect(() => {
    if (debouncedQ === lastPushed.current) return;
    lastPushed.current = debouncedQ;
    set({ q: debouncedQ, page: null });
  }, [debouncedQ, set]);
  useEffect(() => {
    if (urlQ === lastPushed.current) return;
    lastPushed.current = urlQ;
    setQ(urlQ);
  }, [urlQ]);

  const sort = (SORTS.some((s) => s.key === get("sort")) ? get("sort") : "created") as Sort;
  const dir = get("dir") === "asc" ? "asc" : "desc";
  const plan = (PLANS as readonly string[]).includes(get("plan"))
    ? (get("plan") as ListInput["plan"])
    : undefined;
  const status = (STATUSES as readonly string[]).includes(get("status"))
    ? (get("status") as ListInput["status"])
    : undefined;
  const page = Math.max(1, Number(get("page")) || 1);
  const pageSize = [25, 50, 100].includes(Number(get("size"))) ? Number(get("size")) : 25;

  const input: ListInput = { q: urlQ || undefined, plan, status, sort, dir, page, pageSize };
  const list = useQuery({
    ...trpc.admin.tenants.list.queryOptions(input),
    placeholderData: keepPreviousData,
  });
  const data = list.data;
  const filtered = !!(urlQ || plan || status);

  const sortBy = (key: Sort, desc: boolean) =>
    set({
      sort: key === "created" ? null : key,
      dir: desc ? null : "asc",
      page: null,
    });

  return (
    <>
      <PageHeader
        title="Tenants"
        description={
          data
            ? `${formatNumber(data.total)} ${filtered ? "matching" : "in total"} · usage columns are ${formatPeriod(data.period)} (UTC)`
            : "Every workspace on the platform."
        }
      />
      <search className="toolbar">
        <label className="search-field">
          <span className="sr-only">Search tenants</span>
          <span className="search-icon" aria-hidden="true">
            ⌕
          </span>
          <input
            type="search"
            placeholder="Part of a name, slug, domain or owner email…"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            maxLength={200}
          />
        </label>
        <label className="inline-field">
          <span>Plan</span>
          <select value={plan ?? ""} onChange={(e) => set({ plan: e.target.value, page: null })}>
            <option value="">All plans</option>
            {PLANS.map((p) => (
              <option key={p} value={p}>
                {PLAN_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Status</span>
          <select value={status ?? ""} onChange={(e) => set({ status: e.target.value, page: null })}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Sort</span>
          <select
            value={sort}
            onChange={(e) =>
              set({ sort: e.target.value === "created" ? null : e.target.value, dir: null, page: null })
            }
          >
            {SORTS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          onClick={() => set({ dir: dir === "desc" ? "asc" : null, page: null })}
          aria-label={`Sort ${dir === "desc" ? "descending" : "ascending"}; switch direction`}
        >
          {dir === "desc" ? "↓ Desc" : "↑ Asc"}
        </button>
        {filtered ? (
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => {
              setQ("");
              set({ q: null, plan: null, status: null, page: null });
            }}
          >
            Clear filters
          </button>
        ) : null}
      </search>

      <div className="card card-flush">
        {list.isError && !data ? (
          <LoadError error={list.error} onRetry={() => list.refetch()} />
        ) : (
          <>
            <div className="table-wrap table-scroll">
              <DataTable
                className="table table-sticky table-hover"
                caption={`Tenants, sorted by ${SORTS.find((s) => s.key === sort)?.label}`}
                captionClassName="sr-only"
                columns={COLUMNS}
                rows={data?.items}
                getRowId={(t) => t.id}
                sorting={{ id: sort, desc: dir === "desc" }}
                onSortingChange={(next) => sortBy(next.id as Sort, next.desc)}
                bodyProps={{
                  "aria-busy": list.isFetching,
                  className: list.isPlaceholderData ? "is-stale" : undefined,
                }}
                placeholder={!data ? <SkeletonRows cols={COLUMNS.length} rows={10} /> : null}
                empty={
                  <EmptyState title={filtered ? "No tenants match these filters." : "No tenants yet."}>
                    {filtered ? "Search matches the start of a name, slug, domain or owner email." : null}
                  </EmptyState>
                }
              />
            </div>
            {data ? (
              <Pagination
                page={data.page}
                pageCount={data.pageCount}
                total={data.total}
                pageSize={data.pageSize}
                busy={list.isFetching}
                onPage={(p) => set({ page: p === 1 ? null : p })}
                onPageSize={(n) => set({ size: n === 25 ? null : n, page: null })}
              />
            ) : null}
          </>
        )}
      </div>
    </>
  );
}
