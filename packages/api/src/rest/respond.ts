import { AppError, ERROR_STATUS, type ErrorCode } from "../errors";

/** The REST error body: `{ "error": { "code", "message" } }`, status from the code. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  init: { status?: number; details?: unknown } = {},
): Response {
  const body = { error: { code, message, ...(init.details ? { details: init.details } : {}) } };
  return Response.json(body, {
    status: init.status ?? ERROR_STATUS[code],
    headers: { "cache-control": "no-store" },
  });
}

/** Maps any thrown value to a response; unknown errors become a bare 500 (details go to the log only). */
export function toErrorResponse(
  err: unknown,
  log: (msg: string, err: unknown) => void = console.error,
): Response {
  if (err instanceof AppError) return errorResponse(err.code, err.message, { details: err.details });
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
