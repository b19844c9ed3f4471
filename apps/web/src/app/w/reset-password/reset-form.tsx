"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function ResetForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const reset = useMutation(
    trpc.account.resetPassword.mutationOptions({
      onError: (e) => setError(fieldErrors(e).password ?? errorMessage(e)),
    }),
  );
  if (!token) return <Alert tone="warning">This link is incomplete. Ask for a new one.</Alert>;
  if (reset.isSuccess)
    return (
      <Alert
        tone="success"
        title="Your password is changed"
        action={
          <Link href="/login" className="btn btn-primary btn-sm">
            Sign in
          </Link>
        }
      >
        Sign in with your new password.
      </Alert>
    );
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (password.length < 10) return setError("Use a password of at least 10 characters.");
    if (password !== confirm) return setError("The two passwords differ.");
    setError(null);
    reset.mutate({ token, password });
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <Field label="New password" id="new-password" help="At least 10 characters.">
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          {...describedBy("new-password", { help: true })}
          // biome-ignore lint/a11y/noAutofocus: the only task on this page
          autoFocus
        />
      </Field>
      <Field label="New password again" id="confirm-password">
        <input
          id="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </Field>
      <Button type="submit" loading={reset.isPending} className="btn-block">
        Set the new password
      </Button>
    </form>
  );
}
