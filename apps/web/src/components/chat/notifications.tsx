"use client";

import {
  DEFAULT_NOTIFICATION_SETTINGS,
  effectiveLevel,
  type NotificationSettings,
  type NotifyLevel,
  shouldNotify,
} from "@nchat/protocol/notifications";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import {
  type RefObject,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { plainText } from "@/lib/markdown";
import { useTRPC } from "@/lib/trpc";
import { useSessionUser } from "../tenant";
import { Alert, Button } from "../ui";
import type { Channel, WireMessage } from "./data";

/*
 * Desktop notifications (the browser's Notification API). Permission is asked only when the person
 * chooses to (the banner's "Enable", or the button in a channel's notification settings) — never on
 * page load. Which messages notify follows @nchat/protocol/notifications (shouldNotify) with the
 * settings stored per channel on the server; muted channels also lose their unread emphasis.
 */

/** A message older than this when it arrives (a replay after a reconnect) never notifies. */
const FRESH_MS = 2 * 60_000;
const BANNER_DISMISSED = "nchat:notifications-banner-dismissed";

type Permission = NotificationPermission | "unsupported";

const readPermission = (): Permission =>
  typeof window === "undefined" || !("Notification" in window) ? "unsupported" : Notification.permission;

const permissionListeners = new Set<() => void>();
const subscribePermission = (fn: () => void) => {
  permissionListeners.add(fn);
  return () => permissionListeners.delete(fn);
};

/** The browser's notification permission, kept current after we ask. */
export function useNotificationPermission(): [Permission, () => Promise<void>] {
  const permission = useSyncExternalStore(subscribePermission, readPermission, () => "unsupported" as const);
  const ask = useCallback(async () => {
    if (readPermission() === "unsupported") return;
    try {
      await Notification.requestPermission();
    } finally {
      for (const fn of permissionListeners) fn();
    }
  }, []);
  return [permission, ask];
}

/** My notification settings by channel id (channels without a row: the defaults). */
export function useNotificationSettings(): Map<string, NotificationSettings> {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.chat.notificationSettings.queryOptions(), staleTime: 5 * 60_000 });
  return useMemo(
    () => new Map((q.data?.channels ?? []).map(({ channelId, ...s }) => [channelId, s])),
    [q.data],
  );
}

/**
 * Decides for each new message from the stream whether to raise a desktop notification, and does:
 * a click on it focuses the tab and opens the message. `viewing` is the channel on screen.
 */
export function useDesktopNotifier(
  viewing: RefObject<{ channelId: string | null }>,
  channels: Channel[],
): (m: WireMessage) => void {
  const me = useSessionUser();
  const router = useRouter();
  const settings = useNotificationSettings();
  const state = useRef({ settings, channels });
  state.current = { settings, channels };
  return useCallback(
    (m: WireMessage) => {
      if (readPermission() !== "granted") return;
      if (Date.now() - new Date(m.createdAt).getTime() > FRESH_MS) return;
      const channel = state.current.channels.find((c) => c.id === m.channelId && c.isMember);
      const focused = document.visibilityState === "visible" && document.hasFocus();
      const notify = shouldNotify({
        message: { channelId: m.channelId, authorId: m.author?.id ?? null, body: m.body },
        me,
        channel: channel
          ? {
              kind: channel.kind,
              settings: state.current.settings.get(channel.id) ?? DEFAULT_NOTIFICATION_SETTINGS,
            }
          : null,
        focusedChannelId: focused ? (viewing.current?.channelId ?? null) : null,
      });
      if (!notify || !channel) return;
      const who = m.author?.name ?? "Someone";
      const title = channel.kind === "dm" ? who : `${who} in #${channel.name}`;
      try {
        const n = new Notification(title, { body: plainText(m.body).slice(0, 180), tag: `nchat-${m.id}` });
        n.onclick = () => {
          window.focus();
          router.push(`/?c=${m.channelId}&m=${m.id}`);
          n.close();
        };
      } catch {
        // Some browsers allow notifications only from a service worker: nothing to show then.
      }
    },
    [me, router, viewing],
  );
}

/** Asks once, gently, whether to turn desktop notifications on (until enabled, refused or dismissed). */
export function NotificationBanner() {
  const [permission, ask] = useNotificationPermission();
  const [dismissed, setDismissed] = useState(true);
  useEffect(() => {
    try {
      setDismissed(localStorage.getItem(BANNER_DISMISSED) === "1");
    } catch {
      setDismissed(false);
    }
  }, []);
  if (permission !== "default" || dismissed) return null;
  const dismiss = () => {
    setDismissed(true);
    try {
      localStorage.setItem(BANNER_DISMISSED, "1");
    } catch {
      // storage unavailable: dismissed for this page only
    }
  };
  return (
    <div className="inline-banner notify-banner" data-testid="notifications-banner">
      <Alert
        tone="info"
        action={
          <>
            <Button size="sm" onClick={() => void ask()}>
              Enable
            </Button>
            <button type="button" className="icon-btn" aria-label="Dismiss" onClick={dismiss}>
              <Icon name="x" size={14} />
            </button>
          </>
        }
      >
        Get desktop notifications for direct messages and mentions.
      </Alert>
    </div>
  );
}

const LEVELS: { value: NotifyLevel | null; label: string }[] = [
  { value: null, label: "Default" },
  { value: "all", label: "All new messages" },
  { value: "mentions", label: "Mentions of me (@me, @channel, @here)" },
  { value: "nothing", label: "Nothing" },
];

/** The channel header's bell: my notification level and mute here, and the browser permission. */
export function NotificationSettingsButton({ channel }: { channel: Channel }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const settings = useNotificationSettings().get(channel.id) ?? DEFAULT_NOTIFICATION_SETTINGS;
  const [permission, ask] = useNotificationPermission();
  const [draft, setDraft] = useState<{ level?: NotifyLevel | null; muted?: boolean } | null>(null);
  const save = useMutation(
    trpc.chat.setNotificationSettings.mutationOptions({
      onSuccess: (saved) =>
        qc.setQueryData(trpc.chat.notificationSettings.queryKey(), (data) =>
          data
            ? {
                channels: [...data.channels.filter((c) => c.channelId !== saved.channelId), saved],
              }
            : data,
        ),
    }),
  );
  if (!channel.isMember) return null;
  const fallback = effectiveLevel(channel.kind, null);
  // While a change is on its way, show it (the server's answer replaces it; an error restores).
  const level = draft?.level !== undefined ? draft.level : settings.level;
  const muted = draft?.muted ?? settings.muted;
  const change = (next: { level?: NotifyLevel | null; muted?: boolean }) => {
    setDraft(next);
    save.mutate({ channelId: channel.id, ...next }, { onSettled: () => setDraft(null) });
  };
  return (
    <>
      <button
        type="button"
        className="btn btn-ghost btn-sm"
        onClick={() => setOpen(true)}
        aria-label={`Notifications for ${channel.name}${settings.muted ? " (muted)" : ""}`}
        title={settings.muted ? "Muted" : "Notifications"}
        data-testid="notification-settings"
      >
        <Icon name={settings.muted ? "bell-off" : "bell"} size={16} />
      </button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Notifications: ${channel.kind === "dm" ? channel.name : `#${channel.name}`}`}
      >
        <div className="stack">
          {save.isError ? <Alert tone="danger">{errorMessage(save.error)}</Alert> : null}
          <fieldset className="notify-levels">
            <legend className="small-title">Notify me about</legend>
            {LEVELS.map((l) => (
              <label key={l.value ?? "default"} className="radio-row">
                <input
                  type="radio"
                  name={`notify-${channel.id}`}
                  checked={level === l.value}
                  onChange={() => change({ level: l.value })}
                />
                {l.value === null
                  ? `Default (${fallback === "all" ? "all new messages" : "mentions of me"})`
                  : l.label}
              </label>
            ))}
          </fieldset>
          <label className="radio-row">
            <input
              type="checkbox"
              checked={muted}
              disabled={save.isPending}
              onChange={(e) => change({ muted: e.target.checked })}
            />
            Mute {channel.kind === "dm" ? "this conversation" : "this channel"} (no notifications, no unread
            badge)
          </label>
          {permission === "default" ? (
            <Alert
              tone="info"
              action={
                <Button size="sm" onClick={() => void ask()}>
                  Enable desktop notifications
                </Button>
              }
            >
              Desktop notifications are off in this browser.
            </Alert>
          ) : permission === "denied" ? (
            <Alert tone="warning">
              This browser blocks notifications from this site: allow them in its site settings.
            </Alert>
          ) : permission === "unsupported" ? (
            <Alert tone="warning">This browser cannot show desktop notifications.</Alert>
          ) : null}
        </div>
      </Dialog>
    </>
  );
}
