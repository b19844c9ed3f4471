import { TRPCClientError } from "@trpc/client";

/** The API's error shape (see packages/api trpc.ts errorFormatter): stable `appCode`, field issues. */
export type AppErrorInfo = {
  message: string;
  appCode: string;
  httpStatus: number;
  fields: { path: string; message: string }[];
  details: Record<string, unknown>;
};

type ErrorData = {
  appCode?: string;
  httpStatus?: number;
  fields?: { path: string; message: string }[];
  details?: Record<string, unknown>;
};

/** Reads a tRPC client error (or a REST error body wrapped in RestError) into one shape. */
export function appErrorOf(error: unknown): AppErrorInfo | null {
  if (error instanceof RestError) return error.info;
  if (!(error instanceof TRPCClientError)) return null;
  const data = (error.data ?? {}) as ErrorData;
  const fields = [...(data.fields ?? [])];
  const detailFields = (data.details as { fields?: unknown } | undefined)?.fields;
  if (Array.isArray(detailFields)) {
    for (const f of detailFields)
      if (f && typeof f === "object" && "path" in f && "message" in f)
        fields.push({ path: String(f.path), message: String(f.message) });
  }
  return {
    message: error.message,
    appCode: data.appCode ?? (error.message.includes("fetch") ? "NETWORK" : "INTERNAL"),
    httpStatus: data.httpStatus ?? 0,
    fields,
    details: data.details ?? {},
  };
}

/** The stable code of an API error (`TENANT_NOT_FOUND`, …), or null for anything else. */
export const appCodeOf = (error: unknown): string | null => appErrorOf(error)?.appCode ?? null;

/** A message fit to show a person. */
export function errorMessage(error: unknown, fallback = "Something went wrong. Please try again."): string {
  const info = appErrorOf(error);
  if (info) {
    if (info.appCode === "NETWORK" || info.httpStatus === 0)
      return info.message && !/fetch|network/i.test(info.message)
        ? info.message
        : "Cannot reach the server. Check your connection and try again.";
    return info.message || fallback;
  }
  if (error instanceof Error && error.message) return error.message;
  return fallback;
}

/** Field errors by field path ("ownerEmail", "branding.primaryColor", …); first message wins. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of appErrorOf(error)?.fields ?? []) if (!(f.path in out)) out[f.path] = f.message;
  return out;
}

/** The message for one field (by path or path prefix: "limits" matches "limits.users"), if any. */
export function fieldError(
  info: Pick<AppErrorInfo, "fields"> | null | undefined,
  path: string,
): string | undefined {
  return info?.fields.find((f) => f.path === path || f.path.startsWith(`${path}.`))?.message;
}

export const isUnauthorized = (error: unknown) => appErrorOf(error)?.appCode === "UNAUTHORIZED";

export function retryAfterSeconds(error: unknown): number | null {
  const v = appErrorOf(error)?.details.retryAfter;
  return typeof v === "number" && v > 0 ? Math.min(v, 60) : null;
}

/** A failed REST call (uploads): `{ error: { code, message, details } }` bodies. */
export class RestError extends Error {
  constructor(readonly info: AppErrorInfo) {
    super(info.message);
  }

  static async fromResponse(res: Response): Promise<RestError> {
    let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // not JSON
    }
    return RestError.fromBody(res.status, body);
  }

  static fromBody(
    status: number,
    body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } },
  ): RestError {
    return new RestError({
      message: body.error?.message ?? `The request failed (${status}).`,
      appCode: body.error?.code ?? "INTERNAL",
      httpStatus: status,
      fields: [],
      details: body.error?.details ?? {},
    });
  }
}
