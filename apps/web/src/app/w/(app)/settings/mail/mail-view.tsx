"use client";

import { LoadError } from "@nchat/ui/alert";
import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { roleAtLeast, useSessionUser } from "@/components/tenant";
import { Alert } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Delivery = RouterOutputs["mail"]["deliveries"]["deliveries"][number];

const KIND_LABELS: Record<string, string> = {
  invitation: "Invitation",
  password_reset: "Password reset",
  email_verification: "Email verification",
};

/** The workspace's outgoing mail (owners and admins): where each one stands, never its content. */
export function MailView() {
  const me = useSessionUser();
  const trpc = useTRPC();
  const admin = roleAtLeast(me.role, "admin");
  const q = useQuery({ ...trpc.mail.deliveries.queryOptions(), enabled: admin, refetchInterval: 5_000 });
  if (!admin)
    return (
      <main className="page">
        <PageHeader title="Mail deliveries" />
        <Alert tone="info">Only workspace owners and admins can see the mail delivery log.</Alert>
      </main>
    );
  const rows = q.data?.deliveries ?? [];
  return (
    <main className="page" aria-labelledby="mail-title">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href="/settings">Settings</Link>
        <Icon name="chevron-right" size={14} />
        <span aria-current="page">Mail deliveries</span>
      </nav>
      <PageHeader
        title={<span id="mail-title">Mail deliveries</span>}
        description="Mail this workspace sent or is sending: invitations, password resets and address confirmations. Failed sends are retried with growing pauses."
      />
      {q.isPending ? (
        <div className="center-pad">
          <Spinner label="Loading the delivery log" />
        </div>
      ) : q.isError ? (
        <LoadError error={q.error} onRetry={() => q.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState icon="list" title="No mail sent yet" />
      ) : (
        <section className="card table-card" aria-label="Deliveries">
          <div className="table-scroll">
            <DataTable
              className="table"
              columns={COLUMNS}
              rows={rows}
              getRowId={(d) => d.id}
              caption="The 50 most recent mails"
              captionClassName="sr-only"
            />
          </div>
        </section>
      )}
    </main>
  );
}

const COLUMNS: DataColumn<Delivery>[] = [
  { id: "when", header: "Queued", cellClassName: "nowrap muted", cell: (d) => formatDateTime(d.createdAt) },
  {
    id: "mail",
    header: "Mail",
    cell: (d) => (
      <>
        <div>{KIND_LABELS[d.kind] ?? d.kind}</div>
        <div className="person-sub">{d.recipient}</div>
      </>
    ),
  },
  {
    id: "status",
    header: "Status",
    cell: (d) => (
      <Badge tone={d.status === "sent" ? "success" : d.status === "failed" ? "danger" : "neutral"}>
        {d.status}
      </Badge>
    ),
  },
  { id: "attempts", header: "Tries", className: "num", cell: (d) => d.attempts },
  {
    id: "error",
    header: "Last error",
    className: "hide-sm",
    cell: (d) =>
      d.lastError ? <span className="mono">{d.lastError}</span> : <span className="muted">—</span>,
  },
];
