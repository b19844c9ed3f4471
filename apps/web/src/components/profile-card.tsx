"use client";

import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import styles from "./profile-card.module.css";
import { useSessionUser } from "./tenant";
import { Alert, Avatar, Button } from "./ui";

const ROLE_LABEL = { owner: "Owner", admin: "Admin", member: "Member", guest: "Guest" } as const;

/**
 * A person's name or avatar that opens their profile card: wrap what shows them (in messages,
 * member lists). Renders a plain button around `children`.
 */
export function ProfileCardButton({
  userId,
  name,
  children,
  className,
  pointerOnly = false,
}: {
  userId: string;
  name: string;
  children: ReactNode;
  className?: string;
  /** A second way to the same card (a picture beside the name): mouse only, not a tab stop. */
  pointerOnly?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={`${styles.trigger}${className ? ` ${className}` : ""}`}
        aria-label={`${name}: profile`}
        aria-haspopup="dialog"
        data-testid="profile-card-trigger"
        tabIndex={pointerOnly ? -1 : undefined}
        onClick={(e) => {
          e.stopPropagation();
          setOpen(true);
        }}
      >
        {children}
      </button>
      {open ? <ProfileCard userId={userId} fallbackName={name} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** The card: picture, name, role, their local time, and "Message" (opens or creates the DM). */
export function ProfileCard({
  userId,
  fallbackName,
  onClose,
}: {
  userId: string;
  fallbackName: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useSessionUser();
  const card = useQuery({ ...trpc.profile.card.queryOptions({ userId }), staleTime: 60_000 });
  const openDm = useMutation(
    trpc.chat.openDm.mutationOptions({
      onSuccess: (channel) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        onClose();
        router.push(`/?c=${channel.id}`);
      },
    }),
  );
  const self = userId.toLowerCase() === me.id.toLowerCase();
  const person = card.data;
  return (
    <Dialog
      open
      onClose={onClose}
      title={person?.name ?? fallbackName}
      busy={openDm.isPending}
      footer={
        person ? (
          self ? (
            <Link href="/profile" className="btn btn-secondary" onClick={onClose}>
              Edit your profile
            </Link>
          ) : (
            <Button onClick={() => openDm.mutate({ userIds: [person.id] })} loading={openDm.isPending}>
              Message
            </Button>
          )
        ) : undefined
      }
    >
      <div className={styles.card} data-testid="profile-card">
        {card.isPending ? (
          <Spinner label="Loading" />
        ) : card.isError ? (
          <Alert tone="danger">{errorMessage(card.error)}</Alert>
        ) : person ? (
          <>
            <Avatar name={person.name} id={person.id} size={96} />
            <div className={styles.details}>
              <strong className={styles.name} data-testid="profile-card-name">
                {person.name}
                {self ? <span className="muted"> (you)</span> : null}
              </strong>
              <span>
                <Badge tone={person.role === "guest" ? "warning" : "neutral"}>
                  {ROLE_LABEL[person.role]}
                </Badge>
              </span>
              <LocalTime timeZone={person.timeZone} />
            </div>
          </>
        ) : null}
        {openDm.isError ? <Alert tone="danger">{errorMessage(openDm.error)}</Alert> : null}
      </div>
    </Dialog>
  );
}

/** "14:05 local time (Europe/Berlin)", kept current; "No time zone set" without one. */
export function LocalTime({ timeZone }: { timeZone: string | null }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 30_000);
    return () => clearInterval(timer);
  }, []);
  if (!timeZone) return <span className="muted small">No time zone set</span>;
  let time: string;
  try {
    time = new Intl.DateTimeFormat(undefined, { timeZone, hour: "numeric", minute: "2-digit" }).format(now);
  } catch {
    return <span className="muted small">{timeZone}</span>;
  }
  return (
    <span className="muted small" data-testid="profile-card-time">
      {time} local time ({timeZone.replaceAll("_", " ")})
    </span>
  );
}
