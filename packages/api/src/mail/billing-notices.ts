import { type Database, withPlatformAdmin } from "@nchat/db";
import { sql } from "drizzle-orm";
import type { MailService } from "./mail-service";

/** A trial's owner is told this many days before it ends. */
export const TRIAL_NOTICE_DAYS = 3;

export type BillingNoticeDeps = {
  db: Database;
  mail: Pick<MailService, "send">;
  /** The workspace's own address (`https://acme.example.com`). */
  tenantUrl: (slug: string) => string;
};

export type BillingNoticeReport = {
  trialEnding: number;
  paymentFailed: number;
  errors: { tenant: string; error: string }[];
};

type Due = {
  id: string;
  slug: string;
  schema_name: string;
  db_role: string;
  owner_email: string;
  owner_name: string;
  trial_ends_at: string | null;
  amount: number | null;
};

/**
 * Mails the owner of each workspace whose trial ends within TRIAL_NOTICE_DAYS ("trial ending"), and
 * of each whose last payment failed or that is past due ("payment failed"). The delivery log is the
 * record: a trial gets one notice (none since the window opened), a failed payment one (none since
 * it failed). The job runs one at a time (its queue is stately, its run locked).
 */
export async function runBillingNotices(
  deps: BillingNoticeDeps,
  now = new Date(),
): Promise<BillingNoticeReport> {
  const at = now.toISOString();
  const [trials, failed] = await withPlatformAdmin(deps.db, async (tx) => {
    const trialRows = (await tx.execute(sql`
      select t.id, t.slug, t.schema_name, t.db_role, t.owner_email, t.owner_name,
             to_char(t.trial_ends_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as trial_ends_at,
             null::int as amount
      from public.tenants t
      where t.status = 'trial' and t.trial_ends_at > ${at}::timestamptz
        and t.trial_ends_at <= ${at}::timestamptz + make_interval(days => ${TRIAL_NOTICE_DAYS})
        and not exists (select 1 from public.mail_deliveries d where d.tenant_id = t.id
          and d.kind = 'trial_ending'
          and d.created_at > t.trial_ends_at - make_interval(days => ${TRIAL_NOTICE_DAYS + 1}))
      order by t.slug`)) as unknown as Due[];
    const failedRows = (await tx.execute(sql`
      select t.id, t.slug, t.schema_name, t.db_role, t.owner_email, t.owner_name,
             null::text as trial_ends_at, t.last_payment_amount as amount
      from public.tenants t
      where (t.last_payment_status = 'failed' or t.status = 'past_due')
        and t.status not in ('deleted', 'cancelled')
        and not exists (select 1 from public.mail_deliveries d where d.tenant_id = t.id
          and d.kind = 'payment_failed'
          and d.created_at >= coalesce(t.last_payment_date, '-infinity'::timestamptz))
      order by t.slug`)) as unknown as Due[];
    return [trialRows, failedRows] as const;
  });
  const report: BillingNoticeReport = { trialEnding: 0, paymentFailed: 0, errors: [] };
  const ref = (t: Due) => ({ id: t.id, schemaName: t.schema_name, dbRole: t.db_role });
  for (const t of trials) {
    try {
      await deps.mail.send(ref(t), {
        kind: "trial_ending",
        to: t.owner_email,
        data: {
          name: t.owner_name,
          endsAt: t.trial_ends_at!,
          billingUrl: `${deps.tenantUrl(t.slug)}/billing`,
        },
      });
      report.trialEnding++;
    } catch (err) {
      report.errors.push({ tenant: t.slug, error: firstLine(err) });
    }
  }
  for (const t of failed) {
    try {
      await deps.mail.send(ref(t), {
        kind: "payment_failed",
        to: t.owner_email,
        data: { name: t.owner_name, amount: t.amount, billingUrl: `${deps.tenantUrl(t.slug)}/billing` },
      });
      report.paymentFailed++;
    } catch (err) {
      report.errors.push({ tenant: t.slug, error: firstLine(err) });
    }
  }
  return report;
}

const firstLine = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500);
