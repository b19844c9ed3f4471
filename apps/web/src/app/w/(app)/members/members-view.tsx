"use client";

import { Dialog } from "@nchat/ui/dialog";
import { appErrorOf, errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { useChat } from "@/components/chat/chat-provider";
import {
  type LimitItem,
  roleAtLeast,
  type SessionUser,
  useSessionUser,
  useTenantLimits,
} from "@/components/tenant";
import { Alert, Avatar, Button, CopyField, describedBy, Field, Meter } from "@/components/ui";
import { capitalize, formatDate, formatNumber, relativeTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Member = RouterOutputs["members"]["list"]["members"][number];
type Invitation = RouterOutputs["members"]["list"]["invitations"][number];
type Role = SessionUser["role"];
/** Roles an invitation or a role change hands out (ownership is transferred). */
type AssignableRole = Exclude<Role, "owner">;

const ROLE_HELP: Record<string, string> = {
  admin: "Manages members, channels and settings",
  member: "Chats, creates channels",
  guest: "Chats in channels they are added to",
};

/** Roles `actor` may hand out (mirrors canAssign in packages/api; the API decides). */
const assignable = (actor: Role): AssignableRole[] =>
  actor === "owner" ? ["admin", "member", "guest"] : actor === "admin" ? ["member", "guest"] : [];

/** Whether `actor` may change or remove `target` (mirrors assertOutranks). */
const canManage = (actor: SessionUser, target: Member) =>
  target.id !== actor.id &&
  target.role !== "owner" &&
  roleAtLeast(actor.role, "admin") &&
  (actor.role === "owner" || !roleAtLeast(target.role, actor.role));

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
        <Alert
          tone="danger"
          action={
            <Button variant="secondary" size="sm" onClick={() => list.refetch()}>
              Retry
            </Button>
          }
        >
          {errorMessage(list.error)}
        </Alert>
      ) : (
        <>
          <section className="card table-card" aria-labelledby="members-list-title">
            <h2 id="members-list-title" className="card-title">
              {list.data.members.length} {list.data.members.length === 1 ? "member" : "members"}
            </h2>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col" className="hide-sm">
                      Joined
                    </th>
                    <th scope="col" className="hide-sm">
                      Activity
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.members.map((m) => (
                    <MemberRow key={m.id} member={m} me={me} roles={roles} onRemove={() => setRemoving(m)} />
                  ))}
                </tbody>
              </table>
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

function useInvalidateMembers() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: trpc.members.list.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.ui.limits.queryKey() });
  };
}

function MemberRow({
  member,
  me,
  roles,
  onRemove,
}: {
  member: Member;
  me: SessionUser;
  /** Roles `me` may give (guest only while guests are allowed). */
  roles: AssignableRole[];
  onRemove: () => void;
}) {
  const trpc = useTRPC();
  const { online } = useChat();
  const invalidate = useInvalidateMembers();
  const [error, setError] = useState<string | null>(null);
  const [newRole, setNewRole] = useState<AssignableRole | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const resetTwoFactor = useMutation(
    trpc.members.resetTwoFactor.mutationOptions({
      onSuccess: () => {
        setError(null);
        invalidate();
      },
      onError: (e) => setError(errorMessage(e)),
      onSettled: () => setConfirmReset(false),
    }),
  );
  const changeRole = useMutation(
    trpc.members.changeRole.mutationOptions({
      onSuccess: () => {
        setError(null);
        setNewRole(null);
        invalidate();
      },
      onError: (e) => {
        setError(errorMessage(e));
        setNewRole(null);
      },
    }),
  );
  const manage = canManage(me, member);
  return (
    <tr data-testid={`member-${member.email}`}>
      <td>
        <div className="person">
          <Avatar name={member.name} id={member.id} size={36} />
          <div>
            <div className="person-name">
              {member.name}
              {member.id === me.id ? <span className="muted"> (you)</span> : null}
              {member.twoFactor ? (
                <>
                  {" "}
                  <Badge tone="success" label="Signs in with two-factor authentication">
                    2FA
                  </Badge>
                </>
              ) : null}
            </div>
            <div className="person-sub">{member.email}</div>
            {error ? (
              <div className="field-error" role="alert">
                {error}
              </div>
            ) : null}
          </div>
        </div>
      </td>
      <td>
        {manage ? (
          <label className="inline-select">
            <span className="sr-only">Role of {member.name}</span>
            <select
              value={member.role}
              disabled={changeRole.isPending}
              onChange={(e) => setNewRole(e.target.value as AssignableRole)}
            >
              {[...new Set([member.role, ...roles])].map((r) => (
                <option key={r} value={r} disabled={!(roles as Role[]).includes(r)}>
                  {capitalize(r)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <Badge tone={member.role === "owner" ? "brand" : "neutral"}>{member.role}</Badge>
        )}
      </td>
      <td className="hide-sm muted">{formatDate(member.createdAt)}</td>
      <td className="hide-sm muted">
        {online.has(member.id) ? (
          <span className="online-label">
            <span className="presence-dot online" aria-hidden="true" /> Online
          </span>
        ) : member.lastSeenAt ? (
          relativeTime(member.lastSeenAt)
        ) : (
          "—"
        )}
      </td>
      <td className="cell-actions">
        {manage && member.twoFactor ? (
          <Button
            variant="ghost"
            size="sm"
            onClick={() => setConfirmReset(true)}
            aria-label={`Reset ${member.name}'s two-factor authentication`}
          >
            Reset 2FA
          </Button>
        ) : null}
        {manage ? (
          <Button variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove ${member.name}`}>
            Remove
          </Button>
        ) : null}
        {manage && member.twoFactor ? (
          <Dialog
            open={confirmReset}
            onClose={() => setConfirmReset(false)}
            title={`Reset ${member.name}'s two-factor authentication?`}
            footer={
              <>
                <Button variant="secondary" onClick={() => setConfirmReset(false)}>
                  Cancel
                </Button>
                <Button
                  variant="danger"
                  loading={resetTwoFactor.isPending}
                  onClick={() => resetTwoFactor.mutate({ userId: member.id })}
                >
                  Reset two-factor authentication
                </Button>
              </>
            }
          >
            <p>
              For someone who lost their phone and their recovery codes. {member.name} is signed out
              everywhere, then signs in with their password alone and sets it up again (at once where the
              workspace requires it). Only do this once you are sure it is them asking.
            </p>
          </Dialog>
        ) : null}
        {manage ? (
          <Dialog
            open={newRole !== null}
            onClose={() => setNewRole(null)}
            title={`Change ${member.name}'s role?`}
            footer={
              <>
                <Button variant="secondary" onClick={() => setNewRole(null)}>
                  Cancel
                </Button>
                <Button
                  loading={changeRole.isPending}
                  onClick={() => newRole && changeRole.mutate({ userId: member.id, role: newRole })}
                >
                  Make {newRole ?? ""}
                </Button>
              </>
            }
          >
            {newRole ? (
              <div className="stack" data-testid="role-change-summary">
                <p>
                  <strong>{capitalize(member.role)}</strong> → <strong>{capitalize(newRole)}</strong>
                </p>
                <p>
                  {capitalize(newRole)}s: {ROLE_HELP[newRole]?.toLowerCase()}. Until now:{" "}
                  {ROLE_HELP[member.role]?.toLowerCase() ?? "owns the workspace"}.
                </p>
                <p className="muted small">
                  {member.name} stays signed in; the new role applies from their next action.
                </p>
              </div>
            ) : null}
          </Dialog>
        ) : null}
      </td>
    </tr>
  );
}

function Invitations({ invitations, me }: { invitations: Invitation[]; me: SessionUser }) {
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
  const now = Date.now();
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
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col" className="hide-sm">
                  Expires
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => {
                const expired = new Date(inv.expiresAt).getTime() <= now;
                const mayManage = me.role === "owner" || inv.role !== "admin";
                return (
                  <tr key={inv.id} data-testid={`invitation-${inv.email}`}>
                    <td>{inv.email}</td>
                    <td>
                      <Badge>{inv.role}</Badge>
                    </td>
                    <td className="hide-sm">
                      {expired ? (
                        <Badge tone="warning">Expired</Badge>
                      ) : (
                        <span className="muted">{formatDate(inv.expiresAt)}</span>
                      )}
                    </td>
                    <td className="cell-actions">
                      {mayManage ? (
                        <>
                          <Button
                            variant="ghost"
                            size="sm"
                            loading={resend.isPending && resend.variables?.id === inv.id}
                            onClick={() => resend.mutate({ id: inv.id })}
                          >
                            {expired ? "Resend" : "New link"}
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
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
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
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<AssignableRole>("member");
  const [errors, setErrors] = useState<{ email?: string; role?: string; form?: string; limit?: boolean }>({});
  const invite = useMutation(
    trpc.members.invite.mutationOptions({
      onSuccess: () => invalidate(),
      onError: (e) => {
        const f = fieldErrors(e);
        const code = appErrorOf(e)?.appCode;
        setErrors({
          email: f.email,
          role: f.role,
          limit: code === "LIMIT_EXCEEDED",
          form: f.email || f.role ? undefined : errorMessage(e),
        });
      },
    }),
  );

  function close() {
    setEmail("");
    setRole("member");
    setErrors({});
    invite.reset();
    onClose();
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) {
      setErrors({ email: "Enter a valid email address." });
      return;
    }
    setErrors({});
    invite.mutate({ email: email.trim(), role });
  }

  const result = invite.data;
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
                invite.reset();
                setEmail("");
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
              Create invitation
            </Button>
          </>
        )
      }
    >
      {result ? (
        <div className="stack">
          <Alert tone="success">
            <strong>{result.invitation.email}</strong> is invited as {result.invitation.role}. Share this link
            with them — it works once and expires on {formatDate(result.invitation.expiresAt)}.
          </Alert>
          <CopyField id="invite-link" label="Invitation link" value={result.acceptUrl} />
        </div>
      ) : (
        <form id="invite-form" className="form" onSubmit={onSubmit} noValidate>
          {errors.limit ? (
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
              {errors.form}
            </Alert>
          ) : errors.form ? (
            <Alert tone="danger">{errors.form}</Alert>
          ) : null}
          <Field label="Email address" id="invite-email" error={errors.email}>
            <input
              id="invite-email"
              type="email"
              autoComplete="off"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              {...describedBy("invite-email", { error: errors.email })}
            />
          </Field>
          <fieldset className="field radio-cards">
            <legend>Role</legend>
            {roles.map((r) => (
              <label key={r} className={`radio-card${role === r ? " selected" : ""}`}>
                <input
                  type="radio"
                  name="invite-role"
                  value={r}
                  checked={role === r}
                  onChange={() => setRole(r)}
                />
                <span>
                  <strong>{capitalize(r)}</strong>
                  <span className="muted">{ROLE_HELP[r]}</span>
                </span>
              </label>
            ))}
            {errors.role ? <p className="field-error">{errors.role}</p> : null}
            {guestsOff ? (
              <p className="muted" data-testid="guests-off-hint">
                Guests are turned off for this workspace.{" "}
                <Link href="/settings">Allow guests in Settings</Link>
              </p>
            ) : null}
          </fieldset>
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
