"use client";

import { errorMessage } from "@nchat/ui/errors";
import { EmailField, PasswordField } from "@nchat/ui/field";
import { Spinner } from "@nchat/ui/primitives";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { useTRPC } from "@/lib/trpc";

export function SignInForm({ next }: { next: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Until React is in charge, the button stays disabled: a native submit would put the password in
  // the URL.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const signIn = useMutation(
    trpc.adminAuth.signIn.mutationOptions({
      onSuccess: () => {
        router.replace(next);
        router.refresh();
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ email, password });
  };
  const error = signIn.error ? errorMessage(signIn.error) : null;
  return (
    <form
      className="form"
      method="post"
      onSubmit={submit}
      aria-describedby={error ? "signin-error" : undefined}
    >
      <EmailField value={email} onChange={setEmail} invalid={!!error} />
      <PasswordField value={password} onChange={setPassword} invalid={!!error} />
      {error ? (
        <p id="signin-error" className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary btn-block" disabled={!hydrated || signIn.isPending}>
        {signIn.isPending ? <Spinner label="Signing in" /> : null}
        Sign in
      </button>
    </form>
  );
}
