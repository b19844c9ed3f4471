"use client";

import type { RouterOutputs } from "@nchat/api";
import { LoadError } from "@nchat/ui/alert";
import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { errorMessage } from "@nchat/ui/errors";
import { Badge, type BadgeTone, EmptyState, PageHeader } from "@nchat/ui/primitives";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { SkeletonRows } from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type Job = RouterOutputs["admin"]["jobs"]["list"][number];
type Run = NonNullable<Job["lastRun"]>;

const STATUS: Record<string, { label: string; tone: BadgeTone }> = {
  ok: { label: "Succeeded", tone: "success" },
  partial: { label: "Partly failed", tone: "warning" },
  failed: { label: "Failed", tone: "danger" },
  skipped: { label: "Skipped", tone: "neutral" },
  running: { label: "Running", tone: "info" },
};

const TRIGGER: Record<string, string> = { schedule: "scheduled", manual: "run now", retry: "retry" };

function RunStatus({ run }: { run: Run }) {
  const s = STATUS[run.status] ?? { label: run.status, tone: "neutral" as const };
  return <Badge tone={s.tone}>{s.label}</Badge>;
}

function duration(run: Run): string | null {
  if (!run.finishedAt) return null;
  const ms = new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime();
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}

/** The run's counts as "checked 3 · lost 0"; names in camelCase become words. */
function summaryText(run: Run): string {
  const entries = Object.entries(run.summary ?? {}).filter(([, v]) => v !== null && v !== undefined);
  return entries.map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} ${v}`).join(" · ");
}

function LastRun({ run }: { run: Run | null }) {
  if (!run) return <span className="muted">Never</span>;
  const d = duration(run);
  return (
    <div className="job-runs">
      <div>
        <RunStatus run={run} />{" "}
        <span title={formatDateTime(run.startedAt)}>{formatRelative(run.startedAt)}</span>
        <span className="muted small">
          {" "}
          · {TRIGGER[run.trigger] ?? run.trigger}
          {d ? ` · ${d}` : ""}
        </span>
      </div>
      {summaryText(run) ? <div className="muted small">{summaryText(run)}</div> : null}
      {run.error ? <div className="small job-error truncate">{run.error}</div> : null}
    </div>
  );
}

function RunNow({ job }: { job: Job }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const run = useMutation(
    trpc.admin.jobs.runNow.mutationOptions({
      onSuccess: async () => {
        toast.success("Run queued", `${job.title} starts on the next free worker.`);
        await queryClient.invalidateQueries({ queryKey: trpc.admin.jobs.list.queryKey() });
      },
      onError: (err) => toast.error(`${job.title} was not queued`, errorMessage(err)),
    }),
  );
  return (
    <button
      type="button"
      className="btn btn-secondary btn-sm"
      disabled={run.isPending}
      aria-label={`Run ${job.title} now`}
      onClick={() => run.mutate({ name: job.name })}
    >
      {run.isPending ? "Queueing…" : "Run now"}
    </button>
  );
}

function Failures({ job }: { job: Job }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.admin.jobs.retry.mutationOptions({
      onSuccess: async () => {
        toast.success("Retry queued", `${job.title} runs again.`);
        await queryClient.invalidateQueries({ queryKey: trpc.admin.jobs.list.queryKey() });
      },
      onError: (err) => toast.error("Retry not queued", errorMessage(err)),
    }),
  );
  if (!job.failures.length) return <span className="muted">None in 30 days</span>;
  return (
    <ul className="job-runs">
      {job.failures.map((f) => (
        <li key={f.id} className="small">
          <RunStatus run={f} /> <span title={formatDateTime(f.startedAt)}>{formatRelative(f.startedAt)}</span>{" "}
          <span className="muted truncate" title={f.error ?? undefined}>
            {f.error ?? `${f.errors?.length ?? 0} workspace(s) failed`}
          </span>{" "}
          <button
            type="button"
            className="link-button small"
            disabled={retry.isPending}
            onClick={() => retry.mutate({ runId: f.id })}
          >
            Retry
          </button>
        </li>
      ))}
    </ul>
  );
}

const COLUMNS: DataColumn<Job>[] = [
  {
    id: "job",
    header: "Job",
    cell: (j) => (
      <>
        <div className="job-title">{j.title}</div>
        <div className="muted small">{j.description}</div>
        <div className="muted small mono">{j.name}</div>
      </>
    ),
  },
  {
    id: "schedule",
    header: "Schedule (UTC)",
    cell: (j) =>
      j.cron ? (
        <span className="mono small">{j.cron}</span>
      ) : (
        <span className="muted">{j.configuredCron === "off" ? "Off" : "Not scheduled"}</span>
      ),
  },
  { id: "last", header: "Last run", cell: (j) => <LastRun run={j.lastRun} /> },
  {
    id: "next",
    header: "Next run",
    cell: (j) =>
      j.nextRunAt ? (
        <span title={formatDateTime(j.nextRunAt)}>{formatDateTime(j.nextRunAt)}</span>
      ) : (
        <span className="muted">—</span>
      ),
  },
  { id: "failures", header: "Recent failures", cell: (j) => <Failures job={j} /> },
  { id: "actions", header: <span className="sr-only">Actions</span>, cell: (j) => <RunNow job={j} /> },
];

/** The scheduled background jobs: schedule, last and next run, failures; Run now and Retry. */
export function JobsView() {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.admin.jobs.list.queryOptions(),
    // Runs finish on their own: keep the page current while it is open.
    refetchInterval: 3000,
  });
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Background jobs run on the schedule below by whichever app process is free; each run and its outcome is kept."
      />
      <div className="card card-flush">
        {list.isError && !list.data ? (
          <LoadError error={list.error} onRetry={() => list.refetch()} />
        ) : (
          <div className="table-wrap table-scroll">
            <DataTable
              className="table table-hover"
              caption="Scheduled jobs"
              captionClassName="sr-only"
              columns={COLUMNS}
              rows={list.data}
              getRowId={(j) => j.name}
              rowProps={(j) => ({
                "data-testid": `job-${j.name}`,
                ...({ "data-last-run": j.lastRun?.id ?? "" } as object),
              })}
              placeholder={!list.data ? <SkeletonRows cols={COLUMNS.length} rows={4} /> : null}
              empty={<EmptyState title="No jobs." />}
            />
          </div>
        )}
      </div>
    </>
  );
}
