"use client";

import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { EmailField, PasswordField } from "@nchat/ui/field";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
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
  /** The password was right and the account has a second factor: the code comes next. */
  const [needsCode, setNeedsCode] = useState(false);
  const [code, setCode] = useState("");
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: (res) => {
        if (res.needsCode) {
          setNeedsCode(true);
          setPassword("");
          return;
        }
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

  const signInCode = useMutation(
    trpc.auth.signInCode.mutationOptions({
      onSuccess: () => window.location.assign(next),
      onError: (e) => {
        const info = appErrorOf(e);
        if (info?.details.signInExpired) {
          // The pending sign-in expired or used up its attempts: start again with the password.
          signIn.reset();
          setNeedsCode(false);
          setError(info.message);
        } else setError(errorMessage(e));
        setCode("");
        document.getElementById("code")?.focus();
      },
    }),
  );

  function onSubmitCode(event: FormEvent) {
    event.preventDefault();
    if (!code.trim()) {
      setError("Enter the code from your authenticator app.");
      return;
    }
    setError(null);
    signInCode.mutate({ code: code.trim() });
  }

  if (needsCode) {
    return (
      <form className="form" onSubmit={onSubmitCode} noValidate>
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <Field
          label="Authentication code"
          id="code"
          help="The 6-digit code from your authenticator app, or one of your recovery codes."
        >
          <input
            id="code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={40}
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            {...describedBy("code", { help: true })}
            // biome-ignore lint/a11y/noAutofocus: the only task on this step
            autoFocus
          />
        </Field>
        <Button type="submit" loading={signInCode.isPending || signInCode.isSuccess} className="btn-block">
          {signInCode.isSuccess ? "Signing in…" : "Verify"}
        </Button>
        <Button
          variant="ghost"
          className="btn-block"
          onClick={() => {
            signIn.reset();
            setNeedsCode(false);
            setError(null);
            setCode("");
          }}
        >
          Use another account
        </Button>
      </form>
    );
  }

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
      <EmailField value={email} onChange={setEmail} autoFocus />
      <PasswordField value={password} onChange={setPassword} />
      <Button type="submit" loading={signIn.isPending || signIn.isSuccess} className="btn-block">
        {signIn.isSuccess ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
