/**
 * The one typed error of the platform. Codes are stable API: clients match on them.
 * HTTP statuses are mapped here once; the tRPC error formatter and REST handlers use this table.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  SLUG_INVALID: 400,
  SLUG_RESERVED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  FEATURE_NOT_IN_PLAN: 403,
  TENANT_SUSPENDED: 403,
  NOT_FOUND: 404,
  TENANT_NOT_FOUND: 404,
  SLUG_TAKEN: 409,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
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
