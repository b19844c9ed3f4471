"use client";

import { changePasswordInput } from "@nchat/protocol/profile";
import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { formatDateTime, relativeTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { TwoFactorSection } from "./two-factor-section";

/** Password, sessions and two-factor authentication. */
export function SecuritySection() {
  return (
    <div className="stack-lg">
      <section className="card stack" aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <PasswordForm />
      </section>
      <section className="card stack" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Where you are signed in</h2>
        <Sessions />
      </section>
      <section className="card stack" aria-labelledby="tfa-heading">
        <h2 id="tfa-heading">Two-factor authentication</h2>
        <TwoFactorSection />
      </section>
    </div>
  );
}

const EMPTY = { currentPassword: "", newPassword: "" };

function PasswordForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [values, setValues] = useState(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const change = useMutation(
    trpc.profile.changePassword.mutationOptions({
      onSuccess: () => {
        setValues(EMPTY);
        void qc.invalidateQueries({ queryKey: trpc.profile.sessions.queryKey() });
      },
    }),
  );
  const server = fieldErrors(change.error);
  const errors = { ...server, ...local };
  const general =
    change.isError && !server.currentPassword && !server.newPassword ? errorMessage(change.error) : null;
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const parsed = changePasswordInput.safeParse(values);
    if (!parsed.success) {
      const out: Record<string, string> = {};
      for (const i of parsed.error.issues) out[String(i.path[0])] ??= i.message;
      return setLocal(out);
    }
    setLocal({});
    change.mutate(parsed.data);
  }
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    change.reset();
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      {change.isSuccess ? (
        <Alert tone="success">
          Your password was changed.{" "}
          {change.data.endedSessions > 0
            ? `You were signed out on ${change.data.endedSessions} other ${change.data.endedSessions === 1 ? "device" : "devices"}.`
            : ""}
        </Alert>
      ) : null}
      {general ? <Alert tone="danger">{general}</Alert> : null}
      <Field label="Current password" id="current-password" error={errors.currentPassword}>
        <input
          id="current-password"
          type="password"
          autoComplete="current-password"
          value={values.currentPassword}
          onChange={set("currentPassword")}
          {...describedBy("current-password", { error: errors.currentPassword })}
        />
      </Field>
      <Field
        label="New password"
        id="new-password"
        error={errors.newPassword}
        help="At least 10 characters. Your other sessions end when it changes."
      >
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          value={values.newPassword}
          onChange={set("newPassword")}
          {...describedBy("new-password", { error: errors.newPassword, help: true })}
        />
      </Field>
      <div className="form-actions">
        <Button type="submit" loading={change.isPending}>
          Change password
        </Button>
      </div>
    </form>
  );
}

/** A short name for a browser from its user agent ("Firefox on Linux"), or the raw text. */
function deviceName(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : null;
  const os = /Windows/.test(ua)
    ? "Windows"
    : /Android/.test(ua)
      ? "Android"
      : /iPhone|iPad/.test(ua)
        ? "iOS"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

function Sessions() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.profile.sessions.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.profile.sessions.queryKey() });
  const revoke = useMutation(trpc.profile.revokeSession.mutationOptions({ onSettled: refresh }));
  const others = useMutation(trpc.profile.revokeOtherSessions.mutationOptions({ onSettled: refresh }));
  if (list.isPending) return <Spinner label="Loading sessions" />;
  if (list.isError) return <Alert tone="danger">{errorMessage(list.error)}</Alert>;
  const sessions = list.data;
  const hasOthers = sessions.some((s) => !s.current);
  return (
    <div className="stack">
      {revoke.isError || others.isError ? (
        <Alert tone="danger">{errorMessage(revoke.error ?? others.error)}</Alert>
      ) : null}
      <ul className="people-list" data-testid="sessions">
        {sessions.map((s) => (
          <li key={s.id} data-testid="session" data-current={s.current || undefined}>
            <span className="people-pick-name">
              <strong title={s.userAgent ?? undefined}>
                {deviceName(s.userAgent)} {s.current ? <Badge tone="success">This device</Badge> : null}
              </strong>
              <span className="muted small">
                {s.ip ?? "Unknown address"} · last used{" "}
                <time dateTime={new Date(s.lastUsedAt).toISOString()} title={formatDateTime(s.lastUsedAt)}>
                  {relativeTime(s.lastUsedAt)}
                </time>{" "}
                · signed in {formatDateTime(s.createdAt)}
              </span>
            </span>
            {s.current ? null : (
              <Button
                size="sm"
                variant="secondary"
                loading={revoke.isPending && revoke.variables?.sessionId === s.id}
                onClick={() => revoke.mutate({ sessionId: s.id })}
                aria-label={`Sign out ${deviceName(s.userAgent)}, last used ${relativeTime(s.lastUsedAt)}`}
              >
                Sign out
              </Button>
            )}
          </li>
        ))}
      </ul>
      {hasOthers ? (
        <div className="form-actions">
          <Button variant="danger" loading={others.isPending} onClick={() => others.mutate()}>
            Sign out all other sessions
          </Button>
        </div>
      ) : (
        <p className="muted small">You are signed in on this device only.</p>
      )}
    </div>
  );
}
