"use client";

import { LayerRoot } from "@nchat/ui/layer";
import { QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { makeQueryClient, makeTrpcClient, TRPCProvider } from "@/lib/trpc";

/** Paths of a tenant host that a signed-out person may be on. */
const PUBLIC_PATHS = [/^\/login(\/|$)/, /^\/invite\//, /^\/suspended(\/|$)/];

let redirecting = false;

/** Session gone (expired, revoked, signed out elsewhere): back to sign-in, then back here. */
export function toSignIn() {
  if (redirecting || typeof window === "undefined") return;
  const { pathname, search } = window.location;
  if (PUBLIC_PATHS.some((p) => p.test(pathname))) return;
  redirecting = true;
  const next = `${pathname}${search}`;
  window.location.assign(`/login?expired=1&next=${encodeURIComponent(next)}`);
}

/** The workspace requires a second factor this user has not set up: to its set-up, then back here. */
export function toTwoFactor() {
  if (redirecting || typeof window === "undefined") return;
  const { pathname, search } = window.location;
  if (pathname === "/two-factor" || PUBLIC_PATHS.some((p) => p.test(pathname))) return;
  redirecting = true;
  window.location.assign(`/two-factor?next=${encodeURIComponent(`${pathname}${search}`)}`);
}

/**
 * tRPC + TanStack Query for one tab. On a tenant host (`tenantHost`), an UNAUTHORIZED answer to any
 * call sends the user to the sign-in page with `next` set to where they were.
 */
export function Providers({ children, tenantHost = false }: { children: ReactNode; tenantHost?: boolean }) {
  const [queryClient] = useState(() =>
    makeQueryClient(tenantHost ? toSignIn : undefined, tenantHost ? toTwoFactor : undefined),
  );
  const [trpcClient] = useState(() => makeTrpcClient());
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LayerRoot>{children}</LayerRoot>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
