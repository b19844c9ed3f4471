"use client";

import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { errorMessage } from "@nchat/ui/errors";
import { Badge, EmptyState } from "@nchat/ui/primitives";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { SessionUser } from "@/components/tenant";
import { Alert, Button, CopyField } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { useInvalidateMembers } from "./member-table";

type Invitation = RouterOutputs["members"]["list"]["invitations"][number];

/** Invitations not accepted yet: a new link (or a resend once expired), or revoke. */
export function Invitations({ invitations, me }: { invitations: Invitation[]; me: SessionUser }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateMembers();
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const resend = useMutation(
    trpc.members.resend.mutationOptions({
      onSuccess: (r) => {
        setLink({ email: r.invitation.email, url: r.acceptUrl });
        invalidate();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const revoke = useMutation(
    trpc.members.revoke.mutationOptions({ onSuccess: invalidate, onError: (e) => setError(errorMessage(e)) }),
  );
  const resendingId = resend.isPending ? resend.variables?.id : undefined;
  const now = Date.now();
  const expired = (inv: Invitation) => new Date(inv.expiresAt).getTime() <= now;
  const columns: DataColumn<Invitation>[] = [
    { id: "email", header: "Email", cell: (inv) => inv.email },
    { id: "role", header: "Role", cell: (inv) => <Badge>{inv.role}</Badge> },
    {
      id: "expires",
      header: "Expires",
      className: "hide-sm",
      cell: (inv) =>
        expired(inv) ? (
          <Badge tone="warning">Expired</Badge>
        ) : (
          <span className="muted">{formatDate(inv.expiresAt)}</span>
        ),
    },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      cellClassName: "cell-actions",
      cell: (inv) =>
        me.role === "owner" || inv.role !== "admin" ? (
          <>
            <Button
              variant="ghost"
              size="sm"
              loading={resendingId === inv.id}
              onClick={() => resend.mutate({ id: inv.id })}
            >
              {expired(inv) ? "Resend" : "New link"}
            </Button>
            <Button
              variant="ghost"
              size="sm"
              onClick={() => revoke.mutate({ id: inv.id })}
              aria-label={`Revoke invitation for ${inv.email}`}
            >
              Revoke
            </Button>
          </>
        ) : null,
    },
  ];
  return (
    <section className="card table-card" aria-labelledby="invitations-title">
      <h2 id="invitations-title" className="card-title">
        Pending invitations
      </h2>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      {link ? (
        <div className="inset">
          <CopyField id="resent-link" label={`New invitation link for ${link.email}`} value={link.url} />
        </div>
      ) : null}
      {invitations.length === 0 ? (
        <EmptyState icon="inbox" title="No pending invitations">
          Invite people by email; they join with the link you share.
        </EmptyState>
      ) : (
        <div className="table-scroll">
          <DataTable
            columns={columns}
            rows={invitations}
            getRowId={(inv) => inv.id}
            rowProps={(inv) => ({ "data-testid": `invitation-${inv.email}` })}
          />
        </div>
      )}
    </section>
  );
}
