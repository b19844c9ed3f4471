"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { type InviteFormValues, inviteInput } from "@nchat/protocol/members";
import { LoadError } from "@nchat/ui/alert";
import { Dialog } from "@nchat/ui/dialog";
import { appErrorOf, errorMessage, fieldErrors } from "@nchat/ui/errors";
import { PageHeader, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useForm } from "react-hook-form";
import {
  type LimitItem,
  roleAtLeast,
  type SessionUser,
  useSessionUser,
  useTenantLimits,
} from "@/components/tenant";
import { Alert, Button, CopyField, describedBy, Field, Meter } from "@/components/ui";
import { capitalize, formatDate, formatNumber } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { Invitations } from "./invitations";
import {
  type AssignableRole,
  type Member,
  MembersTable,
  ROLE_HELP,
  type Role,
  useInvalidateMembers,
} from "./member-table";

const INVITE_DEFAULTS: InviteFormValues = { email: "", role: "member" };

/** Roles `actor` may hand out (mirrors canAssign in packages/api; the API decides). */
const assignable = (actor: Role): AssignableRole[] =>
  actor === "owner" ? ["admin", "member", "guest"] : actor === "admin" ? ["member", "guest"] : [];

export function MembersView() {
  const trpc = useTRPC();
  const me = useSessionUser();
  const limits = useTenantLimits({ fresh: true });
  // Always fresh here: the chat keeps the member list for names, but this page is about changes.
  const list = useQuery({ ...trpc.members.list.queryOptions(), refetchOnMount: "always" });
  const [inviteOpen, setInviteOpen] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const canInvite = roleAtLeast(me.role, "admin");
  // Guests can be given the role only while the workspace allows them (the API refuses otherwise).
  const settings = useQuery({ ...trpc.ui.settings.queryOptions(), enabled: canInvite });
  const guestsOff = settings.data?.allowGuestAccess === false;
  const roles = assignable(me.role).filter((r) => r !== "guest" || settings.data?.allowGuestAccess);
  const users = limits.users;
  const atLimit = users ? users.state === "reached" || users.state === "over" : false;

  return (
    <main className="page" aria-labelledby="members-title">
      <PageHeader
        title={<span id="members-title">Members</span>}
        description={
          users ? (
            <span data-testid="users-limit">
              {users.limit < 0
                ? `${formatNumber(users.used)} users · unlimited on your plan`
                : `${formatNumber(users.used)} of ${formatNumber(users.limit)} users`}
              {users.limit >= 0 ? " (pending invitations hold a seat)" : ""}
            </span>
          ) : (
            "People in this workspace"
          )
        }
        actions={
          canInvite ? (
            <Button
              onClick={() => setInviteOpen(true)}
              disabled={atLimit}
              title={atLimit ? "Your plan's member limit is reached" : undefined}
            >
              Invite people
            </Button>
          ) : null
        }
      />

      {users ? <UsersMeter users={users} role={me.role} /> : null}

      {list.isPending ? (
        <div className="center-pad">
          <Spinner label="Loading members" />
        </div>
      ) : list.isError ? (
        <LoadError error={list.error} onRetry={() => list.refetch()} />
      ) : (
        <>
          <section className="card table-card" aria-labelledby="members-list-title">
            <h2 id="members-list-title" className="card-title">
              {list.data.members.length} {list.data.members.length === 1 ? "member" : "members"}
            </h2>
            <div className="table-scroll">
              <MembersTable
                members={list.data.members}
                me={me}
                roles={roles}
                onRemove={(m) => setRemoving(m)}
              />
            </div>
          </section>
          {canInvite ? <Invitations invitations={list.data.invitations} me={me} /> : null}
        </>
      )}

      <InviteModal
        open={inviteOpen}
        onClose={() => setInviteOpen(false)}
        me={me}
        roles={roles}
        guestsOff={guestsOff}
      />
      <RemoveModal member={removing} onClose={() => setRemoving(null)} />
    </main>
  );
}

function UsersMeter({ users, role }: { users: LimitItem; role: Role }) {
  const full = users.state === "reached" || users.state === "over";
  return (
    <div className="stack">
      <div className="card">
        <Meter
          label="Seats"
          id="users"
          used={users.used}
          limit={users.limit}
          state={users.state}
          format={formatNumber}
        />
      </div>
      {full ? (
        <Alert
          tone="warning"
          title="Your plan's member limit is reached"
          action={
            role === "owner" ? (
              <Link href="/billing" className="btn btn-primary btn-sm">
                Upgrade plan
              </Link>
            ) : null
          }
        >
          {role === "owner"
            ? "Upgrade to invite more people, or remove members and pending invitations to free seats."
            : "Ask the workspace owner to upgrade the plan to invite more people."}
        </Alert>
      ) : users.state === "approaching" ? (
        <Alert tone="info">
          {users.remaining === 1 ? "1 seat left" : `${users.remaining} seats left`} on your plan.{" "}
          {role === "owner" ? <Link href="/billing">Compare plans</Link> : null}
        </Alert>
      ) : null}
    </div>
  );
}

function InviteModal({
  open,
  onClose,
  me,
  roles,
  guestsOff,
}: {
  open: boolean;
  onClose: () => void;
  me: SessionUser;
  roles: AssignableRole[];
  guestsOff: boolean;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateMembers();
  // The server's schema: the same checks, and the same messages, before anything is sent.
  const form = useForm({ resolver: zodResolver(inviteInput), defaultValues: INVITE_DEFAULTS });
  const { errors } = form.formState;
  const role = form.watch("role");
  // Mailing the link needs the inviter's own address verified (the server checks it too).
  const emailStatus = useQuery({ ...trpc.account.emailStatus.queryOptions(), enabled: open });
  const canMail = emailStatus.data?.verified === true;
  const [sendEmail, setSendEmail] = useState(true);
  const handlers = {
    onSuccess: () => invalidate(),
    onError: (e: unknown) => {
      const f = fieldErrors(e);
      if (f.email) form.setError("email", { message: f.email });
      if (f.role) form.setError("role", { message: f.role });
      const limit = appErrorOf(e)?.appCode === "LIMIT_EXCEEDED";
      if (limit || !(f.email || f.role))
        form.setError("root.server", {
          type: limit ? "limit" : "server",
          message: f.email || f.role ? undefined : errorMessage(e),
        });
    },
  };
  const byLink = useMutation(trpc.members.invite.mutationOptions(handlers));
  const byEmail = useMutation(trpc.members.inviteByEmail.mutationOptions(handlers));
  const mailing = sendEmail && canMail;
  const invite = mailing ? byEmail : byLink;
  const serverError = errors.root?.server;

  function close() {
    form.reset(INVITE_DEFAULTS);
    byLink.reset();
    byEmail.reset();
    onClose();
  }

  const result = byEmail.data ?? byLink.data;
  const emailed = byEmail.data !== undefined;
  return (
    <Dialog
      open={open}
      onClose={close}
      title={result ? "Invitation created" : "Invite people"}
      footer={
        result ? (
          <>
            <Button
              variant="secondary"
              onClick={() => {
                byLink.reset();
                byEmail.reset();
                form.reset({ ...INVITE_DEFAULTS, role: form.getValues("role") });
              }}
            >
              Invite someone else
            </Button>
            <Button onClick={close}>Done</Button>
          </>
        ) : (
          <>
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" form="invite-form" loading={invite.isPending}>
              {mailing ? "Send invitation" : "Create invitation"}
            </Button>
          </>
        )
      }
    >
      {result ? (
        <div className="stack">
          <Alert tone="success">
            <strong>{result.invitation.email}</strong> is invited as {result.invitation.role}.{" "}
            {emailed
              ? "The invitation is on its way by email (Settings → Mail shows its delivery). You can also share this link"
              : "Share this link with them"}{" "}
            — it works once and expires on {formatDate(result.invitation.expiresAt)}.
          </Alert>
          <CopyField id="invite-link" label="Invitation link" value={result.acceptUrl} />
        </div>
      ) : (
        <form
          id="invite-form"
          className="form"
          onSubmit={form.handleSubmit((values) => (mailing ? byEmail : byLink).mutate(values))}
          noValidate
        >
          {serverError?.type === "limit" ? (
            <Alert
              tone="warning"
              title="Your plan's member limit is reached"
              action={
                me.role === "owner" ? (
                  <Link href="/billing" className="btn btn-primary btn-sm">
                    Upgrade
                  </Link>
                ) : null
              }
            >
              {serverError.message}
            </Alert>
          ) : serverError?.message ? (
            <Alert tone="danger">{serverError.message}</Alert>
          ) : null}
          <Field label="Email address" id="invite-email" error={errors.email?.message}>
            <input
              id="invite-email"
              type="email"
              autoComplete="off"
              required
              {...form.register("email")}
              {...describedBy("invite-email", { error: errors.email?.message })}
            />
          </Field>
          <fieldset className="field radio-cards">
            <legend>Role</legend>
            {roles.map((r) => (
              <label key={r} className={`radio-card${role === r ? " selected" : ""}`}>
                <input type="radio" value={r} {...form.register("role")} />
                <span>
                  <strong>{capitalize(r)}</strong>
                  <span className="muted">{ROLE_HELP[r]}</span>
                </span>
              </label>
            ))}
            {errors.role?.message ? <p className="field-error">{errors.role.message}</p> : null}
            {guestsOff ? (
              <p className="muted" data-testid="guests-off-hint">
                Guests are turned off for this workspace.{" "}
                <Link href="/settings">Allow guests in Settings</Link>
              </p>
            ) : null}
          </fieldset>
          <label className="switch-row">
            <input
              type="checkbox"
              id="invite-send-email"
              checked={mailing}
              disabled={!canMail}
              onChange={(e) => setSendEmail(e.target.checked)}
            />
            <span>
              Send the invitation by email
              {emailStatus.data && !canMail ? (
                <span className="muted" data-testid="invite-email-unverified">
                  {" "}
                  — confirm your own email address first (see the banner); until then, copy the link.
                </span>
              ) : null}
            </span>
          </label>
        </form>
      )}
    </Dialog>
  );
}

function RemoveModal({ member, onClose }: { member: Member | null; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateMembers();
  const remove = useMutation(
    trpc.members.remove.mutationOptions({
      onSuccess: () => {
        invalidate();
        onClose();
      },
    }),
  );
  return (
    <Dialog
      open={member !== null}
      onClose={() => {
        remove.reset();
        onClose();
      }}
      title={`Remove ${member?.name ?? "member"}?`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant="danger"
            loading={remove.isPending}
            onClick={() => member && remove.mutate({ userId: member.id })}
          >
            Remove from workspace
          </Button>
        </>
      }
    >
      {remove.isError ? <Alert tone="danger">{errorMessage(remove.error)}</Alert> : null}
      <p>
        {member?.name} ({member?.email}) will be signed out and lose access. Their messages stay. You can
        invite them again later.
      </p>
    </Dialog>
  );
}
