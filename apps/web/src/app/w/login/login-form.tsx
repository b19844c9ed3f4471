"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { appErrorOf, errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export function LoginForm({
  next,
  notice,
}: {
  next: string;
  notice: { tone: "info" | "warning" | "success"; text: string } | null;
}) {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: () => {
        // A full navigation: every server component renders again with the new session cookie.
        window.location.assign(next);
      },
      onError: (e) => {
        setError(
          appErrorOf(e)?.appCode === "VALIDATION_FAILED" ? "Enter your email and password." : errorMessage(e),
        );
        setPassword("");
        document.getElementById("password")?.focus();
      },
    }),
  );

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!email.trim() || !password) {
      setError("Enter your email and password.");
      return;
    }
    setError(null);
    signIn.mutate({ email: email.trim(), password });
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      {notice && !error ? <Alert tone={notice.tone}>{notice.text}</Alert> : null}
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <Field label="Email" id="email">
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          {...describedBy("email", {})}
          // biome-ignore lint/a11y/noAutofocus: the only task on this page
          autoFocus
        />
      </Field>
      <Field label="Password" id="password">
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      <Button type="submit" loading={signIn.isPending || signIn.isSuccess} className="btn-block">
        {signIn.isSuccess ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
