"use client";

import { useMutation } from "@tanstack/react-query";
import { TwoFactorSetup } from "@/components/two-factor-setup";
import { Button } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

export function TwoFactorEnrolment({ next }: { next: string }) {
  const trpc = useTRPC();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({ onSettled: () => window.location.assign("/login?signedOut=1") }),
  );
  return (
    <div className="stack">
      {/* A full navigation: the pages render again with the second factor on. */}
      <TwoFactorSetup onDone={() => window.location.assign(next)} />
      <p className="form-footer">
        <Button variant="ghost" size="sm" onClick={() => signOut.mutate()} loading={signOut.isPending}>
          Sign out
        </Button>
      </p>
    </div>
  );
}
