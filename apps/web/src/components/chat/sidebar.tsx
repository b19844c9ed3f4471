"use client";

import { Icon } from "@nchat/ui/icon";
import { Spinner } from "@nchat/ui/primitives";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useSessionUser } from "../tenant";
import { useChat } from "./chat-provider";
import type { Channel } from "./data";
import { BrowseChannelsDialog, CreateChannelDialog, NewDmDialog } from "./dialogs";
import { useNotificationSettings } from "./notifications";

/** Channels and direct messages with unread and mention badges (none on muted ones: dimmed instead). */
export function ChatSidebar() {
  const { channels, channelsLoading, unread, online } = useChat();
  const notificationSettings = useNotificationSettings();
  const me = useSessionUser();
  const pathname = usePathname();
  const params = useSearchParams();
  const onChat = pathname === "/" || pathname === "/w";
  const active = onChat ? params.get("c") : null;
  const [dialog, setDialog] = useState<"create" | "browse" | "dm" | null>(null);

  const mine = channels.filter((c) => c.isMember && c.kind !== "dm" && !c.archivedAt);
  const dms = channels.filter((c) => c.kind === "dm" && c.isMember);
  const fallbackActive = onChat && !active ? (mine.find((c) => c.isDefault) ?? mine[0])?.id : null;

  const item = (c: Channel) => {
    const u = unread.get(c.id);
    const isActive = c.id === (active ?? fallbackActive);
    const muted = notificationSettings.get(c.id)?.muted ?? false;
    const unreadCount = isActive || muted ? 0 : (u?.unread ?? 0);
    const mentions = isActive || muted ? 0 : (u?.mentions ?? 0);
    const other = c.kind === "dm" ? c.dmMembers?.filter((m) => m.id !== me.id) : null;
    const label = c.kind === "dm" ? c.name : c.name;
    return (
      <li key={c.id}>
        <Link
          href={`/?c=${c.id}`}
          className={`sidebar-link${isActive ? " active" : ""}${unreadCount > 0 || mentions > 0 ? " unread" : ""}${muted ? " muted-channel" : ""}`}
          aria-current={isActive ? "page" : undefined}
          data-testid={`channel-link-${c.kind === "dm" ? "dm" : c.name}`}
        >
          {c.kind === "dm" ? (
            <span
              className={`presence-dot${other && other.length === 1 && online.has(other[0]!.id) ? " online" : ""}`}
              aria-hidden="true"
            />
          ) : (
            <Icon name={c.kind === "private" ? "lock" : "hash"} size={15} />
          )}
          <span className="label">{label}</span>
          {muted ? (
            <span className="muted-mark" title="Muted" data-testid="muted-mark">
              <Icon name="bell-off" size={13} label="Muted" />
            </span>
          ) : null}
          {mentions > 0 ? (
            <span className="count-badge mention" data-testid="mention-badge">
              <span aria-hidden="true">@{mentions}</span>
              <span className="sr-only">
                {mentions} mention{mentions === 1 ? "" : "s"}
              </span>
            </span>
          ) : unreadCount > 0 ? (
            <span className="count-badge" data-testid="unread-badge">
              <span aria-hidden="true">{unreadCount > 99 ? "99+" : unreadCount}</span>
              <span className="sr-only">{unreadCount} unread</span>
            </span>
          ) : null}
        </Link>
      </li>
    );
  };

  return (
    <div className="sidebar-scroll">
      <section className="sidebar-section" aria-labelledby="channels-head">
        <div className="sidebar-section-head">
          <span id="channels-head">Channels</span>
          <span>
            <button
              type="button"
              className="icon-btn"
              aria-label="Browse channels"
              title="Browse channels"
              onClick={() => setDialog("browse")}
            >
              <Icon name="search" size={14} />
            </button>
            {me.role !== "guest" ? (
              <button
                type="button"
                className="icon-btn"
                aria-label="Create a channel"
                title="Create a channel"
                onClick={() => setDialog("create")}
              >
                <Icon name="plus" size={15} />
              </button>
            ) : null}
          </span>
        </div>
        {channelsLoading ? (
          <div className="sidebar-loading">
            <Spinner size={14} label="Loading channels" />
          </div>
        ) : (
          <ul className="sidebar-list">{mine.map(item)}</ul>
        )}
      </section>
      <section className="sidebar-section" aria-labelledby="dms-head">
        <div className="sidebar-section-head">
          <span id="dms-head">Direct messages</span>
          <button
            type="button"
            className="icon-btn"
            aria-label="New direct message"
            title="New direct message"
            onClick={() => setDialog("dm")}
          >
            <Icon name="plus" size={15} />
          </button>
        </div>
        {dms.length === 0 && !channelsLoading ? (
          <p className="sidebar-empty">
            <button type="button" className="sidebar-link" onClick={() => setDialog("dm")}>
              <Icon name="plus" size={14} /> <span className="label">Message a teammate</span>
            </button>
          </p>
        ) : (
          <ul className="sidebar-list">{dms.map(item)}</ul>
        )}
      </section>
      <CreateChannelDialog open={dialog === "create"} onClose={() => setDialog(null)} />
      <BrowseChannelsDialog open={dialog === "browse"} onClose={() => setDialog(null)} />
      <NewDmDialog open={dialog === "dm"} onClose={() => setDialog(null)} />
    </div>
  );
}
