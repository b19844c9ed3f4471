"use client";

import { errorMessage } from "@nchat/ui/errors";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { Alert, Button } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function VerifyButton({ token }: { token: string }) {
  const trpc = useTRPC();
  const verify = useMutation(trpc.account.verifyEmail.mutationOptions());
  if (!token) return <Alert tone="warning">This link is incomplete. Send a new one from the app.</Alert>;
  if (verify.isSuccess)
    return (
      <Alert
        tone="success"
        title="Address confirmed"
        action={
          <Link href="/" className="btn btn-primary btn-sm">
            Open the workspace
          </Link>
        }
      >
        <strong>{verify.data.email}</strong> is confirmed.
      </Alert>
    );
  return (
    <div className="stack">
      {verify.isError ? <Alert tone="danger">{errorMessage(verify.error)}</Alert> : null}
      <Button className="btn-block" loading={verify.isPending} onClick={() => verify.mutate({ token })}>
        Confirm my address
      </Button>
    </div>
  );
}
