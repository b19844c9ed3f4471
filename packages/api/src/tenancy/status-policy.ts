import { AppError, type ErrorCode } from "../errors";
import type { ResolvedTenant } from "./resolver";

/**
 * What a workspace may still do in each status: ONE table, consulted by every way in — tRPC
 * procedures (`tenantProcedure`), the public REST API `/api/v1` (it calls them), `GET/PUT/DELETE
 * /api/tenants/:id` on the tenant's host, the billing REST routes (they call the tRPC procedures),
 * attachments and profile-picture REST, the unsubscribe link (`public`) — and by the web app's
 * page routing (`routing.ts`: a status that refuses `read` with PAYMENT_REQUIRED shows the billing
 * page with 402). Super admins (admin app) are not bound by it: changing a status is their job.
 *
 * Statuses are the stored ones plus `trial_expired` (a trial whose end has passed, until the billing
 * job moves it to Free or suspends it). Actions:
 *   public  — the tenant's public face, who am I, sign out (`tenant.public`, `auth.me`, `auth.signOut`),
 *             the mail unsubscribe link
 *   signIn  — sign in (the login page)
 *   billing — plan, payment, cancellation, and what the billing page reads (`billing.*`, `ui.limits`,
 *             `ui.features`, the owner's `GET /api/tenants/:id`, `POST /api/billing/*`)
 *   read    — every other query and event stream, attachment and avatar downloads, read markers
 *   write   — every other mutation (chat, channels, members, settings, invitations), uploads and avatars,
 *             `PUT /api/tenants/:id`
 *   delete  — the owner deletes the workspace (`DELETE /api/tenants/:id`; soft, restorable by the platform)
 *
 * The decisions, matching what the pages show:
 * - trial / active: everything.
 * - trial_expired / past_due / cancelled: billing only (the pages answer 402 with the billing page
 *   everywhere but /billing, /login, /logout) — reads and writes are PAYMENT_REQUIRED (402). The
 *   owner can still pay, sign in and out, or delete the workspace.
 * - suspended (by the platform, or by billing after the past-due grace): read-only for sessions that
 *   exist, billing (paying is how it comes back), sign-out; no sign-in (the pages show only the
 *   suspended page), no writes, no deletion (a suspension is the platform's hold) — TENANT_SUSPENDED (403).
 * - deleted: nothing; the workspace does not exist (TENANT_NOT_FOUND, 404).
 */
export const STATUS_ACTIONS = ["public", "signIn", "billing", "read", "write", "delete"] as const;
export type StatusAction = (typeof STATUS_ACTIONS)[number];

export type EffectiveStatus = ResolvedTenant["status"] | "trial_expired";
export const EFFECTIVE_STATUSES = [
  "trial",
  "trial_expired",
  "active",
  "past_due",
  "cancelled",
  "suspended",
  "deleted",
] as const satisfies readonly EffectiveStatus[];

/** `ok`, or the error code that refuses. */
type Cell = "ok" | Extract<ErrorCode, "PAYMENT_REQUIRED" | "TENANT_SUSPENDED" | "TENANT_NOT_FOUND">;

const ok = "ok";
const pay = "PAYMENT_REQUIRED";
const held = "TENANT_SUSPENDED";
const gone = "TENANT_NOT_FOUND";

export const STATUS_POLICY: Record<EffectiveStatus, Record<StatusAction, Cell>> = {
  trial: { public: ok, signIn: ok, billing: ok, read: ok, write: ok, delete: ok },
  active: { public: ok, signIn: ok, billing: ok, read: ok, write: ok, delete: ok },
  trial_expired: { public: ok, signIn: ok, billing: ok, read: pay, write: pay, delete: ok },
  past_due: { public: ok, signIn: ok, billing: ok, read: pay, write: pay, delete: ok },
  cancelled: { public: ok, signIn: ok, billing: ok, read: pay, write: pay, delete: ok },
  suspended: { public: ok, signIn: held, billing: ok, read: ok, write: held, delete: held },
  deleted: { public: gone, signIn: gone, billing: gone, read: gone, write: gone, delete: gone },
};

const MESSAGES: Record<Exclude<Cell, "ok">, string> = {
  PAYMENT_REQUIRED: "This workspace needs an active plan. The owner can renew it on the Billing page.",
  TENANT_SUSPENDED: "This workspace is suspended; it is read-only.",
  TENANT_NOT_FOUND: "No workspace at this address.",
};

type StatusOf = { status: ResolvedTenant["status"]; trialEndsAt: string | Date | null };

/** The status the table is read with: a trial past its end is `trial_expired`. */
export function effectiveStatus(t: StatusOf, now = new Date()): EffectiveStatus {
  if (t.status === "trial" && t.trialEndsAt !== null && new Date(t.trialEndsAt).getTime() <= now.getTime())
    return "trial_expired";
  return t.status;
}

/** The error that refuses `action` for this tenant now, or null when it is allowed. */
export function statusRefusal(t: StatusOf | null, action: StatusAction, now = new Date()): AppError | null {
  const cell = t ? STATUS_POLICY[effectiveStatus(t, now)][action] : gone;
  return cell === ok
    ? null
    : new AppError(cell, MESSAGES[cell], { status: t ? effectiveStatus(t, now) : null });
}

/** Throws the table's error unless the tenant's status allows `action`. */
export function assertStatusAllows(t: StatusOf | null, action: StatusAction, now = new Date()): void {
  const refusal = statusRefusal(t, action, now);
  if (refusal) throw refusal;
}
