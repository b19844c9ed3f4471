"use client";

import { Dialog } from "@nchat/ui/dialog";
import { appErrorOf, errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState } from "@nchat/ui/primitives";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { useSessionUser, useTenantFeature } from "../tenant";
import { Alert, Avatar, Button, describedBy, Field } from "../ui";
import { useChat } from "./chat-provider";

function UpgradeHint({ message }: { message: string }) {
  const me = useSessionUser();
  return (
    <Alert
      tone="warning"
      action={
        me.role === "owner" ? (
          <Link href="/billing" className="btn btn-primary btn-sm">
            Upgrade
          </Link>
        ) : null
      }
    >
      {message}
      {me.role !== "owner" ? " Ask the workspace owner to upgrade." : ""}
    </Alert>
  );
}

export function CreateChannelDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const privateFeature = useTenantFeature("privateChannels", { enabled: open });
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [kind, setKind] = useState<"public" | "private">("public");
  const create = useMutation(
    trpc.chat.createChannel.mutationOptions({
      onSuccess: (channel) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.ui.limits.queryKey() });
        close();
        router.push(`/?c=${channel.id}`);
      },
    }),
  );
  const close = () => {
    setName("");
    setTopic("");
    setKind("public");
    create.reset();
    onClose();
  };
  const errors = create.error ? fieldErrors(create.error) : {};
  const code = appErrorOf(create.error)?.appCode;
  const formError = create.isError && !errors.name && !errors.topic ? errorMessage(create.error) : null;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim(), kind, topic: topic.trim() || null });
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create a channel"
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" form="create-channel-form" loading={create.isPending} disabled={!name.trim()}>
            Create channel
          </Button>
        </>
      }
    >
      <form id="create-channel-form" className="form" onSubmit={onSubmit} noValidate>
        {code === "LIMIT_EXCEEDED" || code === "FEATURE_NOT_IN_PLAN" ? (
          <UpgradeHint message={errorMessage(create.error)} />
        ) : formError ? (
          <Alert tone="danger">{formError}</Alert>
        ) : null}
        <Field
          label="Name"
          id="channel-name"
          error={errors.name}
          help="Lowercase and short works best, e.g. “design-team”."
        >
          <div className="input-icon">
            <Icon name={kind === "private" ? "lock" : "hash"} size={16} />
            <input
              id="channel-name"
              value={name}
              maxLength={80}
              onChange={(e) => setName(e.target.value)}
              {...describedBy("channel-name", { error: errors.name, help: true })}
            />
          </div>
        </Field>
        <Field label="Topic" id="channel-topic" optional error={errors.topic}>
          <input
            id="channel-topic"
            value={topic}
            maxLength={250}
            onChange={(e) => setTopic(e.target.value)}
          />
        </Field>
        <fieldset className="field radio-cards">
          <legend>Visibility</legend>
          <label className={`radio-card${kind === "public" ? " selected" : ""}`}>
            <input
              type="radio"
              name="channel-kind"
              checked={kind === "public"}
              onChange={() => setKind("public")}
            />
            <span>
              <strong>Public</strong>
              <span className="muted">Anyone in the workspace can find and join it.</span>
            </span>
          </label>
          <label className={`radio-card${kind === "private" ? " selected" : ""}`}>
            <input
              type="radio"
              name="channel-kind"
              checked={kind === "private"}
              onChange={() => setKind("private")}
              disabled={!privateFeature.loading && !privateFeature.enabled}
            />
            <span>
              <strong>
                Private{" "}
                {!privateFeature.loading && !privateFeature.enabled ? <Badge tone="brand">Pro</Badge> : null}
              </strong>
              <span className="muted">Only people you add can see it.</span>
            </span>
          </label>
        </fieldset>
      </form>
    </Dialog>
  );
}

export function BrowseChannelsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const { channels, refreshChannels } = useChat();
  const [filter, setFilter] = useState("");
  // Channels created since the list was loaded show up when browsing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per opening
  useEffect(() => {
    if (open) refreshChannels();
  }, [open]);
  const join = useMutation(
    trpc.chat.joinChannel.mutationOptions({
      onSuccess: (channel) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.unreadCounts.queryKey() });
        onClose();
        router.push(`/?c=${channel.id}`);
      },
    }),
  );
  const matching = channels
    .filter((c) => c.kind !== "dm")
    .filter((c) => c.name.toLowerCase().includes(filter.trim().toLowerCase()));
  const list = matching.filter((c) => !c.archivedAt);
  const archived = matching.filter((c) => c.archivedAt);
  return (
    <Dialog open={open} onClose={onClose} title="Browse channels" size="lg">
      <div className="stack">
        <Field label="Find a channel" id="browse-filter">
          <input
            id="browse-filter"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Search by name"
          />
        </Field>
        {join.isError ? <Alert tone="danger">{errorMessage(join.error)}</Alert> : null}
        {list.length === 0 ? (
          <EmptyState icon="hash" title="No channels found" />
        ) : (
          <ul className="browse-list">
            {list.map((c) => (
              <li key={c.id}>
                <div className="browse-main">
                  <strong>
                    <Icon name={c.kind === "private" ? "lock" : "hash"} size={14} /> {c.name}
                  </strong>
                  <span className="muted small">
                    {c.memberCount} {c.memberCount === 1 ? "member" : "members"}
                    {c.topic ? ` · ${c.topic}` : ""}
                  </span>
                </div>
                {c.isMember ? (
                  <Link href={`/?c=${c.id}`} className="btn btn-secondary btn-sm" onClick={onClose}>
                    Open
                  </Link>
                ) : (
                  <Button
                    size="sm"
                    loading={join.isPending && join.variables?.channelId === c.id}
                    onClick={() => join.mutate({ channelId: c.id })}
                  >
                    Join
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
        {archived.length > 0 ? (
          <>
            <h3 className="small-title">Archived channels</h3>
            <ul className="browse-list" aria-label="Archived channels">
              {archived.map((c) => (
                <li key={c.id} data-testid={`archived-channel-${c.name}`}>
                  <div className="browse-main">
                    <strong>
                      <Icon name={c.kind === "private" ? "lock" : "hash"} size={14} /> {c.name}
                    </strong>
                    <span className="muted small">Archived · read-only history</span>
                  </div>
                  <Link href={`/?c=${c.id}`} className="btn btn-secondary btn-sm" onClick={onClose}>
                    View
                  </Link>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </Dialog>
  );
}

export function NewDmDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useSessionUser();
  const { membersList, online } = useChat();
  const [selected, setSelected] = useState<string[]>([]);
  const [filter, setFilter] = useState("");
  const openDm = useMutation(
    trpc.chat.openDm.mutationOptions({
      onSuccess: (channel) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        close();
        router.push(`/?c=${channel.id}`);
      },
    }),
  );
  const close = () => {
    setSelected([]);
    setFilter("");
    openDm.reset();
    onClose();
  };
  const people = membersList
    .filter((m) => m.id !== me.id)
    .filter((m) => `${m.name} ${m.email}`.toLowerCase().includes(filter.trim().toLowerCase()));
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const code = appErrorOf(openDm.error)?.appCode;
  return (
    <Dialog
      open={open}
      onClose={close}
      title="New direct message"
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button
            onClick={() => openDm.mutate({ userIds: selected })}
            disabled={selected.length === 0}
            loading={openDm.isPending}
          >
            {selected.length > 1 ? "Start group message" : "Start conversation"}
          </Button>
        </>
      }
    >
      <div className="stack">
        {code === "FEATURE_NOT_IN_PLAN" ? (
          <UpgradeHint message={errorMessage(openDm.error)} />
        ) : openDm.isError ? (
          <Alert tone="danger">{errorMessage(openDm.error)}</Alert>
        ) : null}
        <Field label="To" id="dm-filter">
          <input
            id="dm-filter"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Search people"
          />
        </Field>
        {people.length === 0 ? (
          <EmptyState icon="users" title="Nobody to message yet">
            <Link href="/members">Invite your teammates</Link> to start a conversation.
          </EmptyState>
        ) : (
          <ul className="people-pick">
            {people.map((m) => (
              <li key={m.id}>
                <label className={selected.includes(m.id) ? "selected" : undefined}>
                  <input type="checkbox" checked={selected.includes(m.id)} onChange={() => toggle(m.id)} />
                  <Avatar name={m.name} id={m.id} size={30} />
                  <span className="people-pick-name">
                    <strong>{m.name}</strong>
                    <span className="muted small">{m.email}</span>
                  </span>
                  {online.has(m.id) ? <span className="presence-dot online" title="Online" /> : null}
                </label>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Dialog>
  );
}
