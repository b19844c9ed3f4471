"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { EmailField } from "@nchat/ui/field";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function ForgotForm() {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);
  const request = useMutation(
    trpc.account.requestPasswordReset.mutationOptions({
      onError: (e) => setError(fieldErrors(e).email ?? errorMessage(e)),
    }),
  );
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!email.trim()) {
      setError("Enter your email address.");
      return;
    }
    setError(null);
    request.mutate({ email: email.trim() });
  }
  if (request.isSuccess)
    return (
      <Alert tone="success" title="Check your email">
        If an account of this workspace uses <strong>{email.trim()}</strong>, a link to choose a new password
        is on its way. It works once, for 30 minutes.
      </Alert>
    );
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <EmailField value={email} onChange={setEmail} autoFocus />
      <Button type="submit" loading={request.isPending} className="btn-block">
        Send the link
      </Button>
    </form>
  );
}
