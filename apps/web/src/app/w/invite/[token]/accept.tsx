"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { type NewMemberFormValues, type NewMemberInput, newMemberInput } from "@nchat/protocol/members";
import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useForm } from "react-hook-form";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function AcceptInvitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const preview = useQuery({
    ...trpc.members.invitation.queryOptions({ token }),
    retry: false,
    staleTime: Infinity,
  });
  // The server's schema: the same checks, and the same messages, before anything is sent.
  const form = useForm<NewMemberFormValues, unknown, NewMemberInput>({
    resolver: zodResolver(newMemberInput),
    defaultValues: { name: "", password: "" },
  });
  const { errors } = form.formState;
  const accept = useMutation(
    trpc.members.acceptInvitation.mutationOptions({
      onSuccess: () => window.location.assign("/"),
      onError: (e) => {
        const f = fieldErrors(e);
        if (f.name) form.setError("name", { message: f.name });
        if (f.password) form.setError("password", { message: f.password });
        if (!(f.name || f.password)) form.setError("root.server", { message: errorMessage(e) });
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

  return (
    <>
      <h1 id="invite-title">Join {inv.tenantName}</h1>
      <p className="form-intro">
        You were invited as <Badge tone="brand">{inv.role}</Badge> with <strong>{inv.email}</strong>. Choose
        your name and a password to finish.
      </p>
      <form
        className="form"
        onSubmit={form.handleSubmit((values) => accept.mutate({ token, ...values }))}
        noValidate
      >
        {errors.root?.server?.message ? <Alert tone="danger">{errors.root.server.message}</Alert> : null}
        <Field label="Email" id="invite-email">
          <input id="invite-email" type="email" value={inv.email} readOnly autoComplete="username" />
        </Field>
        <Field label="Your name" id="name" error={errors.name?.message}>
          <input
            id="name"
            autoComplete="name"
            required
            maxLength={100}
            {...form.register("name")}
            {...describedBy("name", { error: errors.name?.message })}
          />
        </Field>
        <Field label="Password" id="password" error={errors.password?.message} help="At least 10 characters.">
          <input
            id="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            {...form.register("password")}
            {...describedBy("password", { error: errors.password?.message, help: true })}
          />
        </Field>
        <Button type="submit" loading={accept.isPending || accept.isSuccess} className="btn-block">
          {accept.isSuccess ? "Joining…" : "Join workspace"}
        </Button>
      </form>
    </>
  );
}
