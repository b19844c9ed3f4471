"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { PasswordField } from "@nchat/ui/field";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { Alert, Button } from "@/components/ui";
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
      <PasswordField
        id="new-password"
        label="New password"
        purpose="new-password"
        help="At least 10 characters."
        value={password}
        onChange={setPassword}
        autoFocus
      />
      <PasswordField
        id="confirm-password"
        label="New password again"
        purpose="new-password"
        value={confirm}
        onChange={setConfirm}
      />
      <Button type="submit" loading={reset.isPending} className="btn-block">
        Set the new password
      </Button>
    </form>
  );
}
