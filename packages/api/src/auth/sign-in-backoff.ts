import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { AppError } from "../errors";

/**
 * Per-account back-off of password sign-in (tenant users and super admins): each attempt on an
 * existing account first claims it — refused with RATE_LIMITED (Retry-After) while an earlier
 * failure's back-off runs, and then not counted, so hammering does not lengthen it. The claim sets
 * the back-off this attempt's failure would earn (so concurrent guesses get one try): 1 s for the
 * first two failures, then 2, 4, 8 … up to 5 minutes. A success clears it. A guesser gets at most
 * one try per 5 minutes per account. The account's own browsers (device-cookie.ts) skip it, so a
 * guesser who takes every slot as it opens does not keep the real user out.
 */
export const signInBackoff = {
  /** The `set` of the claim: blocked until now + the back-off of one more failure. */
  claim(failed: AnyPgColumn): SQL {
    return sql`now() + make_interval(secs => case when ${failed} + 1 <= 2 then 1 else least(power(2, ${failed} + 1 - 2), 300) end)`;
  },
  /** The `where` of the claim: no back-off running. */
  open(blockedUntil: AnyPgColumn): SQL {
    return sql`(${blockedUntil} is null or ${blockedUntil} <= now())`;
  },
  /** Seconds until the running back-off ends (select it when the claim found nothing). */
  secondsLeft(blockedUntil: AnyPgColumn): SQL<number> {
    return sql<number>`coalesce(ceil(extract(epoch from ${blockedUntil} - now()))::int, 1)`;
  },
  refused(seconds: number): AppError {
    const retryAfter = Math.max(1, seconds);
    return new AppError(
      "RATE_LIMITED",
      `Too many failed sign-ins for this account. Try again in ${retryAfter} s.`,
      { retryAfter },
    );
  },
};
