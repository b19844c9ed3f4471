"use client";

import { LoadError } from "@nchat/ui/alert";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Badge, type BadgeTone, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useToast } from "@nchat/ui/toast";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useEffect, useState } from "react";
import { CursorPagination, KeyValue, SkeletonRows } from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useSearchState } from "@/lib/use-search-state";

const COLS = 7;

/** Statuses that need attention are red; anything that finished is green. */
function statusTone(status: string): BadgeTone {
  if (/fail|error/i.test(status)) return "danger";
  if (/process|succe|done|ok|handled/i.test(status)) return "success";
  if (/ignor|skip/i.test(status)) return "neutral";
  return "warning";
}

const isFailed = (status: string) => statusTone(status) === "danger";

export function WebhooksView() {
  const trpc = useTRPC();
  const { get, set } = useSearchState();
  const filters = { status: get("status"), type: get("type"), tenant: get("tenant") };
  const [draft, setDraft] = useState(filters);
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(JSON.parse(key)), [key]);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start at the first page
  useEffect(() => setCursors([undefined]), [key]);
  const [openId, setOpenId] = useState<string | null>(null);

  const list = useQuery({
    ...trpc.admin.logs.webhooks.queryOptions({
      status: filters.status || undefined,
      type: filters.type || undefined,
      tenant: filters.tenant || undefined,
      cursor: cursors.at(-1),
      limit: 50,
    }),
    placeholderData: keepPreviousData,
  });
  const data = list.data;
  const apply = (e: FormEvent) => {
    e.preventDefault();
    set({ type: draft.type, tenant: draft.tenant });
  };
  const total = data?.statuses.reduce((n, s) => n + s.count, 0) ?? 0;

  return (
    <>
      <PageHeader
        title="Stripe events"
        description="Webhook events received from Stripe, newest first, with their processing status."
      />
      <fieldset className="status-tabs">
        <legend className="sr-only">Filter by status</legend>
        <button
          type="button"
          className={`tab ${!filters.status ? "active" : ""}`}
          aria-pressed={!filters.status}
          onClick={() => set({ status: null })}
        >
          All <span className="tab-count">{total}</span>
        </button>
        {(data?.statuses ?? []).map((s) => (
          <button
            key={s.status}
            type="button"
            className={`tab ${filters.status === s.status ? "active" : ""}`}
            aria-pressed={filters.status === s.status}
            onClick={() => set({ status: s.status })}
          >
            {s.status} <span className={`tab-count tab-count-${statusTone(s.status)}`}>{s.count}</span>
          </button>
        ))}
      </fieldset>
      <form className="toolbar" onSubmit={apply} aria-label="Stripe event filters">
        <label className="inline-field">
          <span>Type</span>
          <input
            value={draft.type}
            onChange={(e) => setDraft({ ...draft, type: e.target.value })}
            placeholder="invoice.* or customer.subscription.updated"
            size={32}
          />
        </label>
        <label className="inline-field">
          <span>Tenant</span>
          <input
            value={draft.tenant}
            onChange={(e) => setDraft({ ...draft, tenant: e.target.value })}
            placeholder="slug or id"
            size={18}
          />
        </label>
        <button type="submit" className="btn btn-secondary btn-sm">
          Apply
        </button>
        {!data?.retryAvailable && data ? (
          <span className="muted small toolbar-note">
            Stripe retries failed deliveries for up to three days; to process an event again now, resend it
            from the Stripe dashboard.
          </span>
        ) : null}
      </form>

      <div className="card card-flush">
        {list.isError && !data ? (
          <LoadError error={list.error} onRetry={() => list.refetch()} />
        ) : (
          <>
            <div className="table-wrap table-scroll">
              <table className="table table-sticky table-hover">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Event</th>
                    <th scope="col">Type</th>
                    <th scope="col">Tenant</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody
                  aria-busy={list.isFetching}
                  className={list.isPlaceholderData ? "is-stale" : undefined}
                >
                  {!data ? (
                    <SkeletonRows cols={COLS} rows={8} />
                  ) : data.items.length === 0 ? (
                    <tr>
                      <td colSpan={COLS}>
                        <EmptyState
                          title={
                            Object.values(filters).some(Boolean)
                              ? "No events match these filters."
                              : "No Stripe events received yet."
                          }
                        />
                      </td>
                    </tr>
                  ) : (
                    data.items.map((e) => (
                      <tr key={e.id}>
                        <td className="nowrap" title={formatDateTime(e.receivedAt)}>
                          {formatRelative(e.receivedAt)}
                        </td>
                        <td>
                          <button
                            type="button"
                            className="link-button mono small"
                            onClick={() => setOpenId(e.id)}
                          >
                            {e.id}
                          </button>
                        </td>
                        <td className="mono small">{e.type}</td>
                        <td>
                          {e.tenantId && e.tenantSlug ? (
                            <Link href={`/tenants/${e.tenantId}`} className="mono small">
                              {e.tenantSlug}
                            </Link>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                        <td>
                          <Badge tone={statusTone(e.status)}>{e.status}</Badge>
                        </td>
                        <td className="num">{e.attempts}</td>
                        <td className="truncate small" title={e.error ?? undefined}>
                          {e.error ?? <span className="muted">—</span>}
                        </td>
                      </tr>
                    ))
                  )}
                </tbody>
              </table>
            </div>
            <CursorPagination
              page={cursors.length}
              count={data?.items.length ?? 0}
              hasNext={!!data?.nextCursor}
              busy={list.isFetching}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={() => data?.nextCursor && setCursors([...cursors, data.nextCursor])}
            />
          </>
        )}
      </div>
      <EventViewer id={openId} retryAvailable={!!data?.retryAvailable} onClose={() => setOpenId(null)} />
    </>
  );
}

/**
 * The event's payload and error, with Retry for failed events (Stripe billing): the stored payload
 * is processed again with Stripe's current state of the subscription.
 */
function EventViewer({
  id,
  retryAvailable,
  onClose,
}: {
  id: string | null;
  retryAvailable: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const event = useQuery({ ...trpc.admin.logs.webhook.queryOptions({ id: id ?? "" }), enabled: !!id });
  const retry = useMutation(
    trpc.admin.logs.retryWebhook.mutationOptions({
      onSuccess: (r) => {
        if (isFailed(r.status)) toast.error("The event failed again", r.error ?? r.id);
        else toast.success("Event reprocessed", `${r.id}: ${r.status}`);
        void queryClient.invalidateQueries(trpc.admin.logs.pathFilter());
      },
      onError: (e) => toast.error("Retry failed", errorMessage(e)),
    }),
  );
  const e = event.data;
  return (
    <Dialog
      open={!!id}
      onClose={onClose}
      size="lg"
      title={<span className="mono">{id}</span>}
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Close
          </button>
          {retryAvailable && e && isFailed(e.status) ? (
            <button
              type="button"
              className="btn btn-primary"
              disabled={retry.isPending}
              onClick={() => retry.mutate({ id: e.id })}
            >
              {retry.isPending ? <Spinner label="Retrying" /> : null}
              Retry event
            </button>
          ) : null}
        </>
      }
    >
      {event.isError ? (
        <LoadError error={event.error} onRetry={() => event.refetch()} />
      ) : !e ? (
        <Spinner label="Loading" />
      ) : (
        <>
          <KeyValue
            items={[
              ["Type", <code key="t">{e.type}</code>],
              [
                "Status",
                <Badge key="s" tone={statusTone(e.status)}>
                  {e.status}
                </Badge>,
              ],
              ["Attempts", e.attempts],
              ["Received", formatDateTime(e.receivedAt)],
              ["Processed", formatDateTime(e.processedAt)],
              [
                "Tenant",
                e.tenantId && e.tenantSlug ? (
                  <Link key="l" href={`/tenants/${e.tenantId}`}>
                    {e.tenantSlug}
                  </Link>
                ) : (
                  "—"
                ),
              ],
            ]}
          />
          {e.error ? (
            <div className="banner banner-danger">
              <strong>Error:</strong> {e.error}
            </div>
          ) : null}
          <h3 className="subheading">Payload</h3>
          <pre className="json json-scroll">{JSON.stringify(e.payload, null, 2)}</pre>
        </>
      )}
    </Dialog>
  );
}
