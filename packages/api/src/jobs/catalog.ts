import type { Env } from "@nchat/config";
import { type Database, type MasterKey, type ScheduledQueueName, withPlatformAdmin } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { and, eq, isNotNull, lte } from "drizzle-orm";
import type { BlobStore } from "../attachments/blob-store";
import { SYSTEM } from "../audit/actor";
import type { BillingService } from "../billing/billing-service";
import { runMessageRetention } from "../chat/retention";
import type { DomainService } from "../domains/domain-service";
import type { UsageRecorder } from "../limits/usage";
import { runBillingNotices } from "../mail/billing-notices";
import type { MailService } from "../mail/mail-service";
import { runMentionDigests } from "../mail/mention-digest";
import { unsubscribeKey } from "../mail/unsubscribe";
import type { TenantService } from "../tenants/tenant-service";

/** What a job's run did: counts for the summary, and the tenants it could not do (a partial run). */
export type JobResult = {
  summary: Record<string, number | string | null>;
  errors: { tenant: string; error: string }[];
};

/** What the jobs call: the same services the commands (`pnpm billing:jobs`, …) call. */
export type JobDeps = {
  db: Database;
  billing: Pick<BillingService, "runJobs" | "reconcile" | "mode">;
  domains: Pick<DomainService, "recheckAll">;
  tenants: Pick<TenantService, "purgeTenant">;
  retentionDays: number;
  /** Where attachment bodies are stored (message retention removes files), and the usage recount. */
  blobs: Pick<BlobStore, "delete">;
  usage: Pick<UsageRecorder, "touch">;
  mail: Pick<MailService, "send">;
  masterKey: MasterKey;
  env: Pick<Env, "MENTION_EMAIL_DELAY_MINUTES" | "NODE_ENV" | "NEXT_PUBLIC_BASE_DOMAIN">;
};

export type JobDefinition = {
  name: ScheduledQueueName;
  title: string;
  description: string;
  /** The environment variable holding its cron (UTC), and the cron it holds ("off": not scheduled). */
  cronVar: keyof Env & `JOB_${string}_CRON`;
  /** Tries after a failed run (pg-boss's back-off: retryDelay · 2^n with jitter). */
  retryLimit: number;
  retryDelaySeconds: number;
  /** A run still going after this long is failed by pg-boss (and retried); the lock still keeps it single. */
  expireInSeconds: number;
  run(deps: JobDeps): Promise<JobResult>;
};

/** Workspaces deleted more than `retentionDays` ago, purged for good (as the system; audited). */
export async function purgeAfterRetention(deps: JobDeps, now = new Date()): Promise<JobResult> {
  const cutoff = new Date(now.getTime() - deps.retentionDays * 86_400_000);
  const due = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ id: tenants.id, slug: tenants.slug })
      .from(tenants)
      .where(and(eq(tenants.status, "deleted"), isNotNull(tenants.deletedAt), lte(tenants.deletedAt, cutoff)))
      .orderBy(tenants.deletedAt),
  );
  const errors: JobResult["errors"] = [];
  let purged = 0;
  for (const t of due) {
    try {
      if (await deps.tenants.purgeTenant(t.id, SYSTEM)) purged++;
    } catch (err) {
      errors.push({ tenant: t.slug, error: firstLine(err) });
    }
  }
  return { summary: { due: due.length, purged, retentionDays: deps.retentionDays }, errors };
}

export const firstLine = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500);

/**
 * The scheduled jobs. Each is one queue (SCHEDULED_QUEUE_NAMES, "stately"), its cron from the
 * environment, its handler the service its command calls.
 */
export const JOBS: readonly JobDefinition[] = [
  {
    name: "billing-jobs",
    title: "Billing",
    description:
      "Expires unpaid trials, suspends workspaces past due beyond the grace period, ends cancelled offline plans and reports last month's metered API calls to Stripe.",
    cronVar: "JOB_BILLING_CRON",
    retryLimit: 3,
    retryDelaySeconds: 60,
    expireInSeconds: 60 * 60,
    async run(deps) {
      const r = await deps.billing.runJobs();
      return {
        summary: {
          trialsExpired: r.trialsExpired.length,
          suspended: r.suspended.length,
          cancellationsEnded: r.cancellationsEnded.length,
          usageReported: r.usage.reported.length,
          usageSkipped: r.usage.skipped,
        },
        errors: r.errors.map((e) => ({ tenant: e.slug, error: `${e.job}: ${e.error}` })),
      };
    },
  },
  {
    name: "billing-reconcile",
    title: "Stripe reconcile",
    description:
      "Compares every workspace with a Stripe customer to Stripe and repairs drift through the webhooks' rules (audited as the system).",
    cronVar: "JOB_RECONCILE_CRON",
    retryLimit: 3,
    retryDelaySeconds: 300,
    expireInSeconds: 4 * 60 * 60,
    async run(deps): Promise<JobResult> {
      if (deps.billing.mode === "offline") return { summary: { skipped: "billing is offline" }, errors: [] };
      const r = await deps.billing.reconcile();
      return {
        summary: { checked: r.checked, repaired: r.drifted.length },
        errors: r.errors.map((e) => ({ tenant: e.slug, error: e.error })),
      };
    },
  },
  {
    name: "domains-recheck",
    title: "Domain re-verification",
    description:
      "Looks up the TXT record of every verified custom domain again; a domain whose record is gone stops resolving (audited).",
    cronVar: "JOB_DOMAINS_CRON",
    retryLimit: 2,
    retryDelaySeconds: 120,
    expireInSeconds: 60 * 60,
    async run(deps) {
      const r = await deps.domains.recheckAll({ concurrency: 8 });
      return {
        summary: {
          checked: r.checked,
          stillVerified: r.stillVerified,
          lost: r.lost.length,
          lookupsFailed: r.inconclusive.length,
        },
        errors: [],
      };
    },
  },
  {
    name: "tenants-purge",
    title: "Purge after retention",
    description:
      "Removes for good the workspaces deleted more than RETENTION_DAYS ago: schema, role, rows (audited as tenant.purge); and in each workspace with “Delete messages after (days)” set, the messages older than that, with their files.",
    cronVar: "JOB_PURGE_CRON",
    retryLimit: 2,
    retryDelaySeconds: 600,
    expireInSeconds: 4 * 60 * 60,
    async run(deps) {
      const workspaces = await purgeAfterRetention(deps);
      const messages = await runMessageRetention(deps);
      return {
        summary: {
          ...workspaces.summary,
          messageRetentionTenants: messages.tenants,
          messagesRemoved: messages.messages,
          filesRemoved: messages.files,
        },
        errors: [
          ...workspaces.errors,
          ...messages.errors.map((e) => ({ ...e, error: `messages: ${e.error}` })),
        ],
      };
    },
  },
  {
    name: "mention-digests",
    title: "Mention emails",
    description:
      "Mails one digest to each person away for MENTION_EMAIL_DELAY_MINUTES with unread mentions or direct messages (mention emails on, muted channels left out); each message is mailed once.",
    cronVar: "JOB_MENTIONS_CRON",
    retryLimit: 1,
    retryDelaySeconds: 60,
    expireInSeconds: 30 * 60,
    async run(deps) {
      const r = await runMentionDigests({
        db: deps.db,
        mail: deps.mail,
        delayMinutes: deps.env.MENTION_EMAIL_DELAY_MINUTES,
        tenantUrl: tenantUrl(deps),
        unsubscribeKey: unsubscribeKey(deps.masterKey),
      });
      return { summary: { tenants: r.tenants, mailed: r.mailed }, errors: r.errors };
    },
  },
  {
    name: "billing-notices",
    title: "Billing notices",
    description:
      "Mails workspace owners when their trial ends within 3 days (once per trial) and when a payment failed or the workspace is past due (once per failure).",
    cronVar: "JOB_BILLING_NOTICES_CRON",
    retryLimit: 2,
    retryDelaySeconds: 120,
    expireInSeconds: 30 * 60,
    async run(deps) {
      const r = await runBillingNotices({ db: deps.db, mail: deps.mail, tenantUrl: tenantUrl(deps) });
      return { summary: { trialEnding: r.trialEnding, paymentFailed: r.paymentFailed }, errors: r.errors };
    },
  },
];

/** A workspace's own address, for links in mail sent by jobs (no request to take the host from). */
const tenantUrl = (deps: JobDeps) => (slug: string) =>
  `${deps.env.NODE_ENV === "production" ? "https" : "http"}://${slug}.${deps.env.NEXT_PUBLIC_BASE_DOMAIN}`;

export function jobByName(name: string): JobDefinition | undefined {
  return JOBS.find((j) => j.name === name);
}
