"use client";

import type { AppRouter, RouterInputs, RouterOutputs } from "@nchat/api";
import { appErrorOf, isUnauthorized, retryAfterSeconds } from "@nchat/ui/errors";
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";

export type { RouterInputs, RouterOutputs };

/** `useTRPC()` gives typed query/mutation/subscription option factories for every procedure. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

const API_URL = "/api/trpc";

/**
 * One client per tab: queries and mutations go out batched over fetch; subscriptions use Server-Sent
 * Events (the browser reconnects by itself and sends Last-Event-ID, so tracked events resume).
 */
export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: API_URL, transformer: superjson }),
        false: httpBatchLink({ url: API_URL, transformer: superjson, maxURLLength: 4000 }),
      }),
    ],
  });
}

/**
 * The query client. `onUnauthorized` runs when the session is gone (expired, revoked after a role
 * change, signed out in another tab): the tenant app sends the user to the sign-in page.
 * Rate-limited calls are retried after the server's Retry-After; other client errors are not retried.
 */
export function makeQueryClient(
  onUnauthorized?: (error: unknown) => void,
  /** The workspace requires two-factor authentication and the user has none yet. */
  onTwoFactorRequired?: () => void,
) {
  const handle = (error: unknown) => {
    if (onUnauthorized && isUnauthorized(error)) onUnauthorized(error);
    else if (onTwoFactorRequired && appErrorOf(error)?.appCode === "TWO_FACTOR_REQUIRED")
      onTwoFactorRequired();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError: handle }),
    mutationCache: new MutationCache({ onError: handle }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        gcTime: 5 * 60_000,
        // Realtime events keep chat data fresh; refetching on every focus would spend the plan's
        // per-minute request allowance for nothing.
        refetchOnWindowFocus: false,
        retry: (failureCount, error) => {
          const app = appErrorOf(error);
          if (app?.appCode === "RATE_LIMITED") return failureCount < 4;
          if (app && app.httpStatus > 0 && app.httpStatus < 500) return false;
          return failureCount < 2;
        },
        retryDelay: (attempt, error) => {
          const wait = retryAfterSeconds(error);
          return wait ? wait * 1000 : Math.min(1000 * 2 ** attempt, 10_000);
        },
      },
      mutations: { retry: false },
    },
  });
}
