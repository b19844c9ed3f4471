"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/lib/trpc";
import { useSessionUser } from "../tenant";
import { Avatar } from "../ui";

/** Whom an @ in the composer can name. */
export type Candidate = { id: string; name: string; sub: string; kind: "user" | "channel" | "here" };

/**
 * The suggestions for what is typed after an @ (`query`; null: no @ being typed): up to 8 of the
 * channel's members by name (not oneself), then @channel and @here. The members are fetched when
 * an @ is first typed.
 */
export function useMentionCandidates(channelId: string, query: string | null): Candidate[] {
  const trpc = useTRPC();
  const me = useSessionUser();
  const membersQuery = useQuery({
    ...trpc.chat.channelMembers.queryOptions({ channelId }),
    enabled: query !== null,
    staleTime: 60_000,
  });
  return useMemo(() => {
    if (query === null) return [];
    const q = query.toLowerCase();
    const people = (membersQuery.data?.members ?? [])
      .filter((m) => m.id !== me.id && m.name.toLowerCase().includes(q))
      .slice(0, 8)
      .map((m) => ({ id: m.id, name: m.name, sub: m.role, kind: "user" as const }));
    const broadcast = (["channel", "here"] as const)
      .filter((k) => k.startsWith(q))
      .map((k) => ({
        id: k,
        name: k,
        sub: k === "channel" ? "Notify everyone in this channel" : "Notify everyone here",
        kind: k,
      }));
    return [...people, ...broadcast];
  }, [query, membersQuery.data, me.id]);
}

/** The suggestion list over the composer (a listbox the textarea points at; the mouse picks too). */
export function MentionList({
  id,
  candidates,
  active,
  onPick,
  onHover,
}: {
  id: string;
  candidates: Candidate[];
  active: number;
  onPick: (c: Candidate) => void;
  onHover: (index: number) => void;
}) {
  return (
    <div className="mention-list" id={id} role="listbox" aria-label="Mention someone">
      {candidates.map((c, i) => (
        <div
          key={`${c.kind}-${c.id}`}
          tabIndex={-1}
          id={`${id}-${i}`}
          role="option"
          aria-selected={i === active}
          className={i === active ? "active" : undefined}
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(c);
          }}
          onMouseEnter={() => onHover(i)}
        >
          {c.kind === "user" ? (
            <Avatar name={c.name} id={c.id} size={22} />
          ) : (
            <span className="mention-at">@</span>
          )}
          <strong>{c.kind === "user" ? c.name : `@${c.name}`}</strong>
          <span className="muted small">{c.sub}</span>
        </div>
      ))}
    </div>
  );
}
