"use client";

import { errorMessage } from "@nchat/ui/errors";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { useSessionUser } from "./tenant";

/**
 * An unverified address: a banner with "Resend". Until the address is confirmed the member may use
 * the workspace, but it sends no invitation mail in their name (they can still copy links).
 */
export function EmailBanner() {
  const trpc = useTRPC();
  const me = useSessionUser();
  const status = useQuery({ ...trpc.account.emailStatus.queryOptions(), enabled: !me.isService });
  const resend = useMutation(trpc.account.resendVerification.mutationOptions());
  if (!status.data || status.data.verified) return null;
  return (
    <div className="app-banner app-banner-warning" role="status" data-testid="email-banner">
      Confirm your email address <strong>{status.data.email}</strong>: we sent you a link.{" "}
      {resend.isSuccess ? (
        <span>Sent again — check your inbox.</span>
      ) : resend.isError ? (
        <span>{errorMessage(resend.error)}</span>
      ) : (
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={resend.isPending}
          onClick={() => resend.mutate()}
        >
          Resend
        </button>
      )}
    </div>
  );
}
