import { TRPCError } from "@trpc/server";
import { AppError, asAppError, ERROR_STATUS, type ErrorCode, retryAfterHeader } from "../errors";
import { processLogger } from "../infra/log";

/** The REST error body: `{ "error": { "code", "message" } }`, status from the code. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  init: { status?: number; details?: unknown; headers?: Record<string, string> } = {},
): Response {
  const body = { error: { code, message, ...(init.details ? { details: init.details } : {}) } };
  return Response.json(body, {
    status: init.status ?? ERROR_STATUS[code],
    headers: { "cache-control": "no-store", ...init.headers },
  });
}

/** Maps any thrown value to a response; unknown errors become a bare 500 (details go to the log only). */
export function toErrorResponse(
  err: unknown,
  log: (msg: string, err: unknown) => void = (msg, e) => processLogger().error({ err: e }, msg),
): Response {
  const app = asAppError(err);
  if (app)
    return errorResponse(app.code, app.message, { details: app.details, headers: retryAfterHeader(app) });
  log("unhandled error in REST handler", err);
  return errorResponse("INTERNAL", "Something went wrong. Please try again.");
}

/** Runs a handler, mapping failures to typed JSON errors. */
export async function handle(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** A tRPC error from an internal call, as the AppError it carries (or a generic one). */
export function unwrap(err: unknown): unknown {
  if (err instanceof TRPCError) {
    const app = asAppError(err.cause);
    if (app) return app;
    if (err.code === "BAD_REQUEST") return new AppError("VALIDATION_FAILED", err.message);
  }
  return err;
}
