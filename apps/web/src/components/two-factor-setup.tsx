"use client";

import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { Alert, Button, CopyField, describedBy, Field } from "./ui";

/** Recovery codes, shown once: each signs in once when the authenticator app is not at hand. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="stack">
      <Alert tone="warning" title="Save your recovery codes">
        Each code signs you in once if you lose your authenticator app. They are shown only now.
      </Alert>
      <ul
        className="mono"
        data-testid="recovery-codes"
        aria-label="Recovery codes"
        style={{
          display: "grid",
          gridTemplateColumns: "repeat(2, max-content)",
          gap: "4px 24px",
          padding: 0,
          listStyle: "none",
        }}
      >
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Enrolment in two-factor authentication: a new secret as a QR code and a manual key, confirmed by
 * a first code from the app; then the recovery codes, once.
 */
export function TwoFactorSetup({
  onDone,
  doneLabel = "Continue",
}: {
  onDone: () => void;
  doneLabel?: string;
}) {
  const trpc = useTRPC();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const begin = useMutation(
    trpc.twoFactor.begin.mutationOptions({ onError: (e) => setError(errorMessage(e)) }),
  );
  const confirm = useMutation(
    trpc.twoFactor.confirm.mutationOptions({
      onError: (e) => {
        setError(
          appErrorOf(e)?.appCode === "UNAUTHORIZED"
            ? "That code is not right. Enter the current code from your app."
            : errorMessage(e),
        );
        setCode("");
      },
    }),
  );

  if (confirm.data) {
    return (
      <div className="stack">
        <Alert tone="success">Two-factor authentication is on.</Alert>
        <RecoveryCodes codes={confirm.data.recoveryCodes} />
        <Button onClick={onDone} className="btn-block">
          {doneLabel}
        </Button>
      </div>
    );
  }

  if (!begin.data) {
    return (
      <div className="stack">
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <p>
          You will need an authenticator app on your phone (for example Google Authenticator, Microsoft
          Authenticator, 1Password or Aegis).
        </p>
        <Button onClick={() => begin.mutate()} loading={begin.isPending} className="btn-block">
          Start set-up
        </Button>
      </div>
    );
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const value = code.replace(/\s/g, "");
    if (!/^\d{6}$/.test(value)) {
      setError("Enter the 6-digit code from your app.");
      return;
    }
    setError(null);
    confirm.mutate({ code: value });
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <p>Scan this QR code with your authenticator app, or enter the setup key by hand.</p>
      <div
        style={{ display: "flex", justifyContent: "center", background: "#fff", padding: 8, borderRadius: 8 }}
      >
        {/* biome-ignore lint/performance/noImgElement: a data URL made on the server, nothing to optimise */}
        <img src={begin.data.qrCode} alt="QR code for your authenticator app" width={200} height={200} />
      </div>
      <CopyField label="Setup key" id="totp-secret" value={begin.data.secret} />
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <Field label="Authentication code" id="totp-code" error={null} help="The 6-digit code your app shows.">
        <input
          id="totp-code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={9}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          {...describedBy("totp-code", { help: true })}
        />
      </Field>
      <Button type="submit" loading={confirm.isPending} className="btn-block">
        Verify and turn on
      </Button>
    </form>
  );
}
