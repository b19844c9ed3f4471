"use client";

import { errorMessage } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { RecoveryCodes, TwoFactorSetup } from "@/components/two-factor-setup";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

/** The signed-in person's two-factor authentication: status, set-up, recovery codes, turning it off. */
export function TwoFactorSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.twoFactor.status.queryOptions());
  const [setup, setSetup] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.twoFactor.status.queryKey() });

  if (status.isPending) return <Spinner label="Loading" />;
  if (status.isError) return <Alert tone="danger">{errorMessage(status.error)}</Alert>;
  const s = status.data;

  if (!s.enabled) {
    return (
      <div className="stack">
        <p>
          <Badge tone="neutral">Off</Badge>{" "}
          {s.required
            ? "This workspace requires it."
            : "Sign-ins ask for a code from your phone as well as your password."}
        </p>
        {setup ? (
          <TwoFactorSetup
            doneLabel="Done"
            onDone={() => {
              setSetup(false);
              void refresh();
            }}
          />
        ) : (
          <Button onClick={() => setSetup(true)}>Set up two-factor authentication</Button>
        )}
      </div>
    );
  }
  return (
    <div className="stack">
      <p>
        <Badge tone="success">On</Badge> {s.recoveryCodesLeft} of 10 recovery codes left.
      </p>
      <RegenerateCodes />
      <DisableTwoFactor required={s.required} onDone={refresh} />
    </div>
  );
}

function RegenerateCodes() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const regenerate = useMutation(
    trpc.twoFactor.regenerateRecoveryCodes.mutationOptions({
      onSuccess: () => {
        setCode("");
        void queryClient.invalidateQueries({ queryKey: trpc.twoFactor.status.queryKey() });
      },
    }),
  );
  if (regenerate.data) return <RecoveryCodes codes={regenerate.data.recoveryCodes} />;
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (code.trim()) regenerate.mutate({ code: code.trim() });
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <h3>New recovery codes</h3>
      {regenerate.isError ? <Alert tone="danger">{errorMessage(regenerate.error)}</Alert> : null}
      <Field label="Code for new recovery codes" id="regen-code" help="A current code from your app.">
        <input
          id="regen-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          {...describedBy("regen-code", { help: true })}
        />
      </Field>
      <Button type="submit" variant="secondary" loading={regenerate.isPending}>
        Make new recovery codes
      </Button>
    </form>
  );
}

function DisableTwoFactor({ required, onDone }: { required: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const disable = useMutation(
    trpc.twoFactor.disable.mutationOptions({
      onSuccess: () => {
        // Where the workspace requires it, the pages send the user to set it up again.
        if (required) window.location.assign("/two-factor?next=/profile");
        else onDone();
      },
      onSettled: () => {
        setPassword("");
        setCode("");
      },
    }),
  );
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (password && code.trim()) disable.mutate({ password, code: code.trim() });
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <h3>Turn off</h3>
      {required ? (
        <Alert tone="warning">
          This workspace requires it: you will be asked to set it up again at once.
        </Alert>
      ) : null}
      {disable.isError ? <Alert tone="danger">{errorMessage(disable.error)}</Alert> : null}
      <Field label="Your password" id="disable-password">
        <input
          id="disable-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      <Field
        label="Code to turn off"
        id="disable-code"
        help="A current code from your app, or a recovery code."
      >
        <input
          id="disable-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          {...describedBy("disable-code", { help: true })}
        />
      </Field>
      <Button type="submit" variant="danger" loading={disable.isPending}>
        Turn off two-factor authentication
      </Button>
    </form>
  );
}
