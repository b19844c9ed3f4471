import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "./root";
import type { Services } from "./server";
import { type AppName, createContext } from "./trpc";

/** The tRPC HTTP endpoint for a Next.js route handler (`/api/trpc/[trpc]`). */
export function trpcHandler(services: Services, app: AppName, request: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ services, headers: request.headers, resHeaders, app }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR")
        console.error(`tRPC ${path ?? "?"} failed`, error.cause ?? error);
    },
  });
}
