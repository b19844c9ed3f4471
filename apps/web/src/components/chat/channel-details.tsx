"use client";

import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { ProfileCardButton } from "../profile-card";
import { roleAtLeast, useSessionUser } from "../tenant";
import { Alert, Avatar, Button } from "../ui";
import { useChat } from "./chat-provider";
import type { Channel } from "./data";

/** Unarchives a channel (owner or admin); the channel list follows. */
export function useUnarchive(channelId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return useMutation(
    trpc.chat.unarchiveChannel.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.channelMembers.queryKey({ channelId }) });
      },
    }),
  );
}

/** A channel's dialog from its header's member count: who is in it, leaving and archiving (unarchiving). */
export function ChannelDetails({
  channel,
  open,
  onClose,
}: {
  channel: Channel;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useSessionUser();
  const { online } = useChat();
  const members = useQuery({
    ...trpc.chat.channelMembers.queryOptions({ channelId: channel.id }),
    enabled: open,
  });
  const [topic, setTopic] = useState(channel.topic ?? "");
  useEffect(() => setTopic(channel.topic ?? ""), [channel.topic]);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.channelMembers.queryKey({ channelId: channel.id }) });
  };
  const update = useMutation(trpc.chat.updateChannel.mutationOptions({ onSuccess: refresh }));
  const leave = useMutation(
    trpc.chat.leaveChannel.mutationOptions({
      onSuccess: () => {
        refresh();
        onClose();
        router.push("/");
      },
    }),
  );
  const [confirmArchive, setConfirmArchive] = useState(false);
  const archive = useMutation(
    trpc.chat.archiveChannel.mutationOptions({
      onSuccess: () => {
        setConfirmArchive(false);
        refresh();
      },
    }),
  );
  const unarchive = useUnarchive(channel.id);
  const canManage = channel.kind !== "dm" && (channel.myRole === "owner" || roleAtLeast(me.role, "admin"));
  const error = update.error ?? leave.error ?? archive.error ?? unarchive.error;
  const sorted = useMemo(
    () =>
      [...(members.data?.members ?? [])].sort((a, b) => Number(online.has(b.id)) - Number(online.has(a.id))),
    [members.data, online],
  );
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={channel.kind === "dm" ? channel.name : `#${channel.name}`}
      size="lg"
    >
      <div className="stack">
        {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
        {canManage && !channel.archivedAt ? (
          <form
            className="form form-inline"
            onSubmit={(e) => {
              e.preventDefault();
              update.mutate({ channelId: channel.id, topic: topic.trim() || null });
            }}
          >
            <div className="field">
              <label htmlFor="channel-topic-edit">Topic</label>
              <input
                id="channel-topic-edit"
                value={topic}
                maxLength={250}
                onChange={(e) => setTopic(e.target.value)}
              />
            </div>
            <div className="form-actions">
              <Button
                type="submit"
                variant="secondary"
                loading={update.isPending}
                disabled={topic === (channel.topic ?? "")}
              >
                Save topic
              </Button>
            </div>
          </form>
        ) : null}
        <h3 className="small-title">
          {channel.memberCount} {channel.memberCount === 1 ? "member" : "members"}
        </h3>
        {members.isPending ? (
          <Spinner label="Loading members" />
        ) : (
          <ul className="people-list">
            {sorted.map((m) => (
              <li key={m.id}>
                <Avatar name={m.name} id={m.id} size={30} />
                <span className="people-pick-name">
                  <strong>
                    <ProfileCardButton userId={m.id} name={m.name}>
                      {m.name}
                    </ProfileCardButton>
                    {m.id === me.id ? <span className="muted"> (you)</span> : null}
                  </strong>
                  <span className="muted small">{m.role}</span>
                </span>
                <span
                  className={`presence-dot${online.has(m.id) ? " online" : ""}`}
                  title={online.has(m.id) ? "Online" : "Away"}
                />
              </li>
            ))}
          </ul>
        )}
        {channel.kind !== "dm" ? (
          <div className="danger-row">
            {channel.isMember && !channel.isDefault ? (
              <Button
                variant="secondary"
                loading={leave.isPending}
                onClick={() => leave.mutate({ channelId: channel.id })}
              >
                Leave channel
              </Button>
            ) : null}
            {canManage && !channel.archivedAt && !channel.isDefault && !confirmArchive ? (
              <Button variant="danger" onClick={() => setConfirmArchive(true)}>
                Archive channel
              </Button>
            ) : null}
            {channel.archivedAt && roleAtLeast(me.role, "admin") ? (
              <Button
                variant="secondary"
                loading={unarchive.isPending}
                onClick={() => unarchive.mutate({ channelId: channel.id })}
              >
                Unarchive channel
              </Button>
            ) : null}
          </div>
        ) : null}
        {confirmArchive && !channel.archivedAt ? (
          <div className="stack" role="alertdialog" aria-label={`Archive #${channel.name}?`}>
            <Alert tone="warning">
              Archive <strong>#{channel.name}</strong>? Nobody can post in it any more; its history stays
              readable (Browse channels → Archived). An owner or admin can unarchive it.
            </Alert>
            <div className="form-actions">
              <Button variant="secondary" onClick={() => setConfirmArchive(false)}>
                Cancel
              </Button>
              <Button
                variant="danger"
                loading={archive.isPending}
                onClick={() => archive.mutate({ channelId: channel.id })}
              >
                Archive #{channel.name}
              </Button>
            </div>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
