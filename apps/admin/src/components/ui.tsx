"use client";

import { Spinner } from "@nchat/ui/primitives";
import type { ReactNode } from "react";
import { PLAN_LABEL, STATUS_LABEL } from "@/lib/format";

export function Card({
  title,
  actions,
  children,
  className,
  id,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
}) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section className={`card ${className ?? ""}`} aria-labelledby={title ? headingId : undefined} id={id}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2 id={headingId}>{title}</h2> : <span />}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function PlanBadge({ plan }: { plan: string }) {
  return <span className={`badge badge-plan-${plan}`}>{PLAN_LABEL[plan] ?? plan}</span>;
}

/** Placeholder rows while a table loads. */
export function SkeletonRows({ rows = 8, cols }: { rows?: number; cols: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
        <tr key={r} className="skeleton-row">
          {Array.from({ length: cols }, (_, c) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
            <td key={c}>
              <span
                className="skeleton"
                style={{ width: `${40 + ((r * 7 + c * 13) % 50)}%` }}
                aria-hidden="true"
              />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

export function Skeleton({ height = 16, width = "100%" }: { height?: number; width?: string | number }) {
  return <span className="skeleton" style={{ height, width, display: "block" }} aria-hidden="true" />;
}

export function Pagination({
  page,
  pageCount,
  total,
  pageSize,
  onPage,
  onPageSize,
  busy,
}: {
  page: number;
  pageCount: number;
  total: number;
  pageSize: number;
  onPage: (page: number) => void;
  onPageSize?: (size: number) => void;
  busy?: boolean;
}) {
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav className="pagination" aria-label="Pagination">
      <span className="pagination-info">
        {total === 0
          ? "No results"
          : `${from.toLocaleString("en-US")}–${to.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}`}
        {busy ? <Spinner label="Updating" /> : null}
      </span>
      <div className="pagination-controls">
        {onPageSize ? (
          <label className="inline-field">
            <span>Rows</span>
            <select value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
              {[25, 50, 100].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          onClick={() => onPage(page - 1)}
          disabled={page <= 1}
        >
          ← Previous
        </button>
        <span className="pagination-page" aria-current="page">
          Page {page} of {pageCount}
        </span>
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          onClick={() => onPage(page + 1)}
          disabled={page >= pageCount}
        >
          Next →
        </button>
      </div>
    </nav>
  );
}

/** Keyset pagination: previous pages are remembered, the next one is the server's cursor. */
export function CursorPagination({
  page,
  hasNext,
  onPrevious,
  onNext,
  count,
  busy,
}: {
  page: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  count: number;
  busy?: boolean;
}) {
  return (
    <nav className="pagination" aria-label="Pagination">
      <span className="pagination-info">
        {count === 0 ? "No results" : `${count} on this page`}
        {busy ? <Spinner label="Updating" /> : null}
      </span>
      <div className="pagination-controls">
        <button type="button" className="btn btn-secondary btn-sm" onClick={onPrevious} disabled={page <= 1}>
          ← Newer
        </button>
        <span className="pagination-page" aria-current="page">
          Page {page}
        </span>
        <button type="button" className="btn btn-secondary btn-sm" onClick={onNext} disabled={!hasNext}>
          Older →
        </button>
      </div>
    </nav>
  );
}

export function KeyValue({ items }: { items: [ReactNode, ReactNode][] }) {
  return (
    <dl className="kv">
      {items.map(([k, v], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed list
        <div key={i} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
