"use client";

import { type DataColumn, DataTable } from "@nchat/ui/data-table";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Badge } from "@nchat/ui/primitives";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useState } from "react";
import { useChat } from "@/components/chat/chat-provider";
import { ProfileCardButton } from "@/components/profile-card";
import { roleAtLeast, type SessionUser } from "@/components/tenant";
import { Avatar, Button } from "@/components/ui";
import { capitalize, formatDate, relativeTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

export type Member = RouterOutputs["members"]["list"]["members"][number];
export type Role = SessionUser["role"];
/** Roles an invitation or a role change hands out (ownership is transferred). */
export type AssignableRole = Exclude<Role, "owner">;

export const ROLE_HELP: Record<string, string> = {
  admin: "Manages members, channels and settings",
  member: "Chats, creates channels",
  guest: "Chats in channels they are added to",
};

/** Whether `actor` may change or remove `target` (mirrors assertOutranks). */
const canManage = (actor: SessionUser, target: Member) =>
  target.id !== actor.id &&
  target.role !== "owner" &&
  roleAtLeast(actor.role, "admin") &&
  (actor.role === "owner" || !roleAtLeast(target.role, actor.role));

export function useInvalidateMembers() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: trpc.members.list.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.ui.limits.queryKey() });
  };
}

/** The workspace's members: one row each, with their role, activity and what `me` may do about them. */
export function MembersTable({
  members,
  me,
  roles,
  onRemove,
}: {
  members: Member[];
  me: SessionUser;
  /** Roles `me` may give (guest only while guests are allowed). */
  roles: AssignableRole[];
  onRemove: (member: Member) => void;
}) {
  return (
    <DataTable
      columns={MEMBER_COLUMNS}
      rows={members}
      getRowId={(m) => m.id}
      renderRow={(m, cells) => (
        <MemberRow member={m} me={me} roles={roles} onRemove={() => onRemove(m)}>
          {cells}
        </MemberRow>
      )}
    />
  );
}

const MEMBER_COLUMNS: DataColumn<Member>[] = [
  { id: "name", header: "Name", cell: () => <MemberName /> },
  { id: "role", header: "Role", cell: () => <MemberRole /> },
  {
    id: "joined",
    header: "Joined",
    className: "hide-sm",
    cellClassName: "muted",
    cell: (m) => formatDate(m.createdAt),
  },
  {
    id: "activity",
    header: "Activity",
    className: "hide-sm",
    cellClassName: "muted",
    cell: (m) => <MemberActivity member={m} />,
  },
  {
    id: "actions",
    header: <span className="sr-only">Actions</span>,
    cellClassName: "cell-actions",
    cell: () => <MemberActions />,
  },
];

/** What the cells of one member's row share: the member, what `me` may do, the row's changes. */
type RowState = {
  member: Member;
  me: SessionUser;
  roles: AssignableRole[];
  manage: boolean;
  error: string | null;
  onRemove: () => void;
  newRole: AssignableRole | null;
  setNewRole: (role: AssignableRole | null) => void;
  changeRole: { isPending: boolean; mutate: (role: AssignableRole) => void };
  confirmReset: boolean;
  setConfirmReset: (open: boolean) => void;
  resetTwoFactor: { isPending: boolean; mutate: () => void };
};

const RowContext = createContext<RowState | null>(null);
const useRow = () => {
  const row = useContext(RowContext);
  if (!row) throw new Error("a member cell outside its row");
  return row;
};

function MemberRow({
  member,
  me,
  roles,
  onRemove,
  children,
}: {
  member: Member;
  me: SessionUser;
  roles: AssignableRole[];
  onRemove: () => void;
  children: ReactNode;
}) {
  const trpc = useTRPC();
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
  const state: RowState = {
    member,
    me,
    roles,
    manage: canManage(me, member),
    error,
    onRemove,
    newRole,
    setNewRole,
    changeRole: {
      isPending: changeRole.isPending,
      mutate: (role) => changeRole.mutate({ userId: member.id, role }),
    },
    confirmReset,
    setConfirmReset,
    resetTwoFactor: {
      isPending: resetTwoFactor.isPending,
      mutate: () => resetTwoFactor.mutate({ userId: member.id }),
    },
  };
  return (
    <RowContext.Provider value={state}>
      <tr data-testid={`member-${member.email}`}>{children}</tr>
    </RowContext.Provider>
  );
}

function MemberName() {
  const { member, me, error } = useRow();
  return (
    <div className="person">
      <Avatar name={member.name} id={member.id} size={36} />
      <div>
        <div className="person-name">
          <ProfileCardButton userId={member.id} name={member.name}>
            {member.name}
          </ProfileCardButton>
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
  );
}

function MemberRole() {
  const { member, roles, manage, changeRole, setNewRole } = useRow();
  if (!manage) return <Badge tone={member.role === "owner" ? "brand" : "neutral"}>{member.role}</Badge>;
  return (
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
  );
}

function MemberActivity({ member }: { member: Member }) {
  const { online } = useChat();
  if (online.has(member.id))
    return (
      <span className="online-label">
        <span className="presence-dot online" aria-hidden="true" /> Online
      </span>
    );
  return member.lastSeenAt ? relativeTime(member.lastSeenAt) : "—";
}

function MemberActions() {
  const {
    member,
    manage,
    onRemove,
    newRole,
    setNewRole,
    changeRole,
    confirmReset,
    setConfirmReset,
    resetTwoFactor,
  } = useRow();
  if (!manage) return null;
  return (
    <>
      {member.twoFactor ? (
        <Button
          variant="ghost"
          size="sm"
          onClick={() => setConfirmReset(true)}
          aria-label={`Reset ${member.name}'s two-factor authentication`}
        >
          Reset 2FA
        </Button>
      ) : null}
      <Button variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove ${member.name}`}>
        Remove
      </Button>
      {member.twoFactor ? (
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
                onClick={() => resetTwoFactor.mutate()}
              >
                Reset two-factor authentication
              </Button>
            </>
          }
        >
          <p>
            For someone who lost their phone and their recovery codes. {member.name} is signed out everywhere,
            then signs in with their password alone and sets it up again (at once where the workspace requires
            it). Only do this once you are sure it is them asking.
          </p>
        </Dialog>
      ) : null}
      <Dialog
        open={newRole !== null}
        onClose={() => setNewRole(null)}
        title={`Change ${member.name}'s role?`}
        footer={
          <>
            <Button variant="secondary" onClick={() => setNewRole(null)}>
              Cancel
            </Button>
            <Button loading={changeRole.isPending} onClick={() => newRole && changeRole.mutate(newRole)}>
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
    </>
  );
}
