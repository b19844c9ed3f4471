"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Spinner } from "@nchat/ui/primitives";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { useSessionUser } from "@/components/tenant";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { SavedNote, Section, useTenantUpdate } from "./section";

type Security = RouterOutputs["ui"]["settings"];

export function SecuritySection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.ui.settings.queryOptions());
  return (
    <Section
      id="security"
      title="Security"
      description="Sessions, guests, sign-up domains and message retention."
    >
      {q.isPending ? (
        <Spinner label="Loading security settings" />
      ) : q.isError ? (
        <Alert tone="danger">{errorMessage(q.error)}</Alert>
      ) : (
        <SecurityForm initial={q.data} canEdit={canEdit} />
      )}
    </Section>
  );
}

function SecurityForm({ initial, canEdit }: { initial: Security; canEdit: boolean }) {
  const [timeoutHours, setTimeoutHours] = useState(
    String(Math.round((initial.sessionTimeoutMinutes / 60) * 10) / 10),
  );
  const [guests, setGuests] = useState(initial.allowGuestAccess);
  const [domains, setDomains] = useState(initial.allowedEmailDomains.join(", "));
  const [retention, setRetention] = useState(
    initial.messageRetentionDays ? String(initial.messageRetentionDays) : "",
  );
  const [twofa, setTwofa] = useState(initial.require2fa);
  const [saved, setSaved] = useState(false);
  const update = useTenantUpdate(() => setSaved(true));
  const errors = update.error ? fieldErrors(update.error) : {};
  const formError = update.isError && Object.keys(errors).length === 0 ? errorMessage(update.error) : null;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const hours = Number(timeoutHours);
    update.mutate({
      settings: {
        sessionTimeoutMinutes: Number.isFinite(hours)
          ? Math.round(hours * 60)
          : initial.sessionTimeoutMinutes,
        allowGuestAccess: guests,
        allowedEmailDomains: domains
          .split(/[\s,]+/)
          .map((d) => d.trim())
          .filter(Boolean),
        messageRetentionDays: retention.trim() ? Number(retention) : null,
        require2fa: twofa,
      },
    });
  }

  const err = (k: string) =>
    errors[`settings.${k}`] ?? Object.entries(errors).find(([p]) => p.startsWith(`settings.${k}`))?.[1];
  return (
    <form className="form" onSubmit={onSubmit}>
      {formError ? <Alert tone="danger">{formError}</Alert> : null}
      <div className="form-row">
        <Field
          label="Session length (hours)"
          id="sec-timeout"
          error={err("sessionTimeoutMinutes")}
          help="Members are signed out after this long without activity: 1 to 2,160 hours (90 days)."
        >
          <input
            id="sec-timeout"
            type="number"
            inputMode="decimal"
            min={1}
            max={24 * 90}
            step="any"
            value={timeoutHours}
            disabled={!canEdit}
            onChange={(e) => setTimeoutHours(e.target.value)}
            {...describedBy("sec-timeout", { error: err("sessionTimeoutMinutes"), help: true })}
          />
        </Field>
        <Field
          label="Delete messages after (days)"
          id="sec-retention"
          optional
          error={err("messageRetentionDays")}
          help="Messages older than this are deleted for good, with their files (checked nightly). Empty keeps messages forever."
        >
          <input
            id="sec-retention"
            type="number"
            min={1}
            max={3650}
            value={retention}
            disabled={!canEdit}
            onChange={(e) => setRetention(e.target.value)}
            {...describedBy("sec-retention", { error: err("messageRetentionDays"), help: true })}
          />
        </Field>
      </div>
      <Field
        label="Allowed email domains"
        id="sec-domains"
        optional
        error={err("allowedEmailDomains")}
        help="Only addresses at these domains can be invited or changed to (exactly these; comma-separated, e.g. example.com). People already here stay. Empty allows any address."
      >
        <input
          id="sec-domains"
          value={domains}
          disabled={!canEdit}
          placeholder="example.com, example.org"
          onChange={(e) => setDomains(e.target.value)}
          {...describedBy("sec-domains", { error: err("allowedEmailDomains"), help: true })}
        />
      </Field>
      <label className="switch-row">
        <input
          type="checkbox"
          checked={guests}
          disabled={!canEdit}
          onChange={(e) => setGuests(e.target.checked)}
        />
        <span>
          <strong>Allow guests</strong>
          <span className="muted">
            Guests see only the channels they are added to. While this is off, nobody can be invited, join or
            be made a guest (pending guest invitations stop working); guests who already joined keep their
            access until you remove them or change their role.
          </span>
        </span>
      </label>
      <label className="switch-row">
        <input
          type="checkbox"
          checked={twofa}
          disabled={!canEdit}
          onChange={(e) => setTwofa(e.target.checked)}
        />
        <span>
          <strong>Require two-factor authentication</strong>
          <span className="muted">Members must set up a second factor to sign in.</span>
        </span>
      </label>
      {twofa && !initial.require2fa ? <TwoFactorRollout /> : null}
      {canEdit ? (
        <div className="form-actions">
          <Button type="submit" loading={update.isPending}>
            Save security settings
          </Button>
          <SavedNote show={saved && !update.isPending} />
        </div>
      ) : null}
    </form>
  );
}

/** Before requiring a second factor: who does not have one yet, and what happens to them (and to me). */
function TwoFactorRollout() {
  const trpc = useTRPC();
  const me = useSessionUser();
  const members = useQuery(trpc.members.list.queryOptions());
  if (!members.data) return null;
  const without = members.data.members.filter((m) => !m.twoFactor);
  if (without.length === 0) return null;
  const mine = without.some((m) => m.id === me.id);
  const others = without.length - (mine ? 1 : 0);
  return (
    <Alert tone="warning" title="Not everyone has it yet">
      <span data-testid="two-factor-rollout">
        {others > 0
          ? `${others} ${others === 1 ? "member has" : "members have"} no second factor yet: after saving, their next page asks them to set it up before anything else. `
          : ""}
        {mine ? (
          <>
            You have none either: you will be asked right after saving (or{" "}
            <Link href="/profile">set it up in your profile</Link> first).
          </>
        ) : null}
      </span>
    </Alert>
  );
}
