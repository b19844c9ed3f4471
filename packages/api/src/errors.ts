import { ZodError, type z } from "zod";

/**
 * The one typed error of the platform. Codes are stable API: clients match on them.
 * HTTP statuses are mapped here once; the tRPC error formatter and REST handlers use this table.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  SLUG_INVALID: 400,
  SLUG_RESERVED: 400,
  UNAUTHORIZED: 401,
  /** The workspace's status allows billing only (trial over, payment due, cancelled). */
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  FEATURE_NOT_IN_PLAN: 403,
  TENANT_SUSPENDED: 403,
  /** The workspace requires two-factor authentication and this user has not set it up yet. */
  TWO_FACTOR_REQUIRED: 403,
  NOT_FOUND: 404,
  TENANT_NOT_FOUND: 404,
  SLUG_TAKEN: 409,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** A dependency (the database) is unreachable or overloaded: retry after `Retry-After`. */
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Brands AppErrors so `instanceof AppError` holds across copies of this module: Next.js bundles
 * server components and route handlers separately, and the services (created once per process) may
 * come from the other bundle, whose AppError is a different class.
 */
const APP_ERROR = Symbol.for("nchat.AppError");

export class AppError extends Error {
  override readonly name = "AppError";
  readonly [APP_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" && value !== null && (value as { [APP_ERROR]?: unknown })[APP_ERROR] === true
    );
  }

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The public body: never a stack, SQL or internal message. */
  toJSON() {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/**
 * The AppError a thrown value stands for, when it is one we can name: AppErrors themselves, and the
 * database's "unreachable / overloaded" error (503 with `details.retryAfterSeconds`). Matched by name
 * and code, so it holds across bundles.
 */
export function asAppError(e: unknown): AppError | null {
  if (e instanceof AppError) return e;
  if (e instanceof ZodError) return validationFailed(e);
  const db = e as { name?: unknown; code?: unknown; retryAfterSeconds?: unknown; message?: unknown } | null;
  if (db && db.name === "DatabaseUnavailableError" && db.code === "DATABASE_UNAVAILABLE") {
    return new AppError("UNAVAILABLE", String(db.message), {
      retryAfterSeconds: Number(db.retryAfterSeconds) || 1,
    });
  }
  return null;
}

/**
 * The one mapping of a zod failure (a procedure's `.input()`, a route handler's schema) to the
 * platform's error: the first issue's message, and every issue by field path.
 */
export function validationFailed(e: ZodError): AppError {
  return new AppError("VALIDATION_FAILED", e.issues[0]?.message ?? "Invalid input.", {
    fields: e.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

/** For route handlers that read a body themselves (the procedures' `.input()` does this for them). */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw validationFailed(r.error);
}

/** `Retry-After` for a 503 AppError. */
export function retryAfterHeader(e: AppError): Record<string, string> {
  if (e.code !== "UNAVAILABLE") return {};
  return { "Retry-After": String(Number(e.details?.retryAfterSeconds) || 1) };
}
