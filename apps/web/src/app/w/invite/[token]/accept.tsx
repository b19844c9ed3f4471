"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function AcceptInvitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const preview = useQuery({
    ...trpc.members.invitation.queryOptions({ token }),
    retry: false,
    staleTime: Infinity,
  });
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<{ name?: string; password?: string; form?: string }>({});
  const accept = useMutation(
    trpc.members.acceptInvitation.mutationOptions({
      onSuccess: () => window.location.assign("/"),
      onError: (e) => {
        const f = fieldErrors(e);
        const next = {
          name: f.name,
          password: f.password,
          form: f.name || f.password ? undefined : errorMessage(e),
        };
        setErrors(next);
      },
    }),
  );

  if (preview.isPending)
    return (
      <div className="center-pad">
        <Spinner label="Loading the invitation" />
      </div>
    );
  if (preview.isError)
    return (
      <>
        <h1 id="invite-title">This invitation can&apos;t be used</h1>
        <Alert tone="warning">{errorMessage(preview.error)}</Alert>
        <p className="form-footer">
          Already a member? <Link href="/login">Sign in</Link>
        </p>
      </>
    );

  const inv = preview.data;
  if (inv.expired)
    return (
      <>
        <h1 id="invite-title">This invitation has expired</h1>
        <Alert tone="warning">
          The invitation for <strong>{inv.email}</strong> to {inv.tenantName} is no longer valid. Ask a
          workspace admin to send you a new one.
        </Alert>
      </>
    );

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const e: typeof errors = {};
    if (!name.trim()) e.name = "Enter your name.";
    if (password.length < 10) e.password = "Use a password of at least 10 characters.";
    setErrors(e);
    if (e.name || e.password) {
      document.getElementById(e.name ? "name" : "password")?.focus();
      return;
    }
    accept.mutate({ token, name: name.trim(), password });
  }

  return (
    <>
      <h1 id="invite-title">Join {inv.tenantName}</h1>
      <p className="form-intro">
        You were invited as <Badge tone="brand">{inv.role}</Badge> with <strong>{inv.email}</strong>. Choose
        your name and a password to finish.
      </p>
      <form className="form" onSubmit={onSubmit} noValidate>
        {errors.form ? <Alert tone="danger">{errors.form}</Alert> : null}
        <Field label="Email" id="invite-email">
          <input id="invite-email" type="email" value={inv.email} readOnly autoComplete="username" />
        </Field>
        <Field label="Your name" id="name" error={errors.name}>
          <input
            id="name"
            name="name"
            autoComplete="name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            {...describedBy("name", { error: errors.name })}
          />
        </Field>
        <Field label="Password" id="password" error={errors.password} help="At least 10 characters.">
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            {...describedBy("password", { error: errors.password, help: true })}
          />
        </Field>
        <Button type="submit" loading={accept.isPending || accept.isSuccess} className="btn-block">
          {accept.isSuccess ? "Joining…" : "Join workspace"}
        </Button>
      </form>
    </>
  );
}
