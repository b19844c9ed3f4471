import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { asAppError, retryAfterHeader } from "./errors";
import { observeRequest, type ServedCall } from "./infra/observe";
import { processLifecycle } from "./lifecycle";
import {
  endOnDrain,
  isEventStreamRequest,
  isEventStreamResponse,
  reconnectElsewhere,
} from "./realtime/drain";
import { appRouter } from "./root";
import type { Services } from "./server";
import { type AppName, createContext } from "./trpc";

const ENDPOINT = "/api/trpc";

/** The procedure paths a request names ("a.b,c.d" in a batch); unknown ones count as "unknown". */
function procedurePaths(request: Request): string[] {
  let raw: string;
  try {
    raw = decodeURIComponent(new URL(request.url).pathname.slice(ENDPOINT.length + 1));
  } catch {
    return ["unknown"];
  }
  const known = appRouter._def.procedures as Record<string, unknown>;
  // A metric label per path the client sends would let anyone grow the registry without bound.
  return raw.split(",").map((p) => (Object.hasOwn(known, p) ? p : "unknown"));
}

/**
 * The tRPC HTTP endpoint for a Next.js route handler (`/api/trpc/[trpc]`). Event streams end with a
 * reconnect hint when the process drains; one opened while draining gets only the hint. Every
 * request is logged (one line) and counted per procedure (see `observeRequest`).
 */
export function trpcHandler(services: Services, app: AppName, request: Request): Promise<Response> {
  return observeRequest({ log: services.log, app, request }, async (report) => {
    const lifecycle = processLifecycle();
    const paths = procedurePaths(request);
    if (lifecycle.draining && isEventStreamRequest(request)) {
      report.stream = true;
      return reconnectElsewhere();
    }
    const failed = new Map<string, number>();
    const response = await fetchRequestHandler({
      endpoint: ENDPOINT,
      req: request,
      router: appRouter,
      createContext: ({ resHeaders }) =>
        createContext({ services, headers: request.headers, resHeaders, app }),
      // A database outage is a 503 with Retry-After wherever it surfaces (context, middleware, router).
      responseMeta: ({ errors }) => {
        const unavailable = errors.map((e) => asAppError(e.cause)).find((e) => e?.code === "UNAVAILABLE");
        return unavailable ? { status: 503, headers: new Headers(retryAfterHeader(unavailable)) } : {};
      },
      onError: ({ error, path }) => {
        if (path) failed.set(path, getHTTPStatusCodeFromError(error));
        if (error.code === "INTERNAL_SERVER_ERROR" && !asAppError(error.cause))
          services.log.error(
            { err: error.cause ?? error, procedure: path ?? null },
            `tRPC ${path ?? "?"} failed`,
          );
      },
    });
    // One status for all calls, except in a mixed batch (207): there each call has its own.
    report.calls = paths.map(
      (procedure): ServedCall => ({
        procedure,
        status: response.status === 207 ? (failed.get(procedure) ?? 200) : response.status,
      }),
    );
    if (isEventStreamResponse(response)) {
      report.stream = true;
      return endOnDrain(response, lifecycle);
    }
    return response;
  });
}
