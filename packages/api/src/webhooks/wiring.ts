import type { Env } from "@nchat/config";
import { type Database, type MasterKey, type TenantRef, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { eq } from "drizzle-orm";
import { TenantKeyring } from "../attachments/keys";
import type { Logger } from "../infra/log";
import type { JobQueue, QueuedJob } from "../jobs/queue";
import type { MailService } from "../mail/mail-service";
import { type WebhookDrainJob, WebhookService } from "./service";

/**
 * The webhook service of the app: woken through the "webhooks" queue (one job per tenant pass, sent
 * after a commit that wrote outbox rows, and again for the next try that is due), the owner told by
 * mail when an endpoint is turned off.
 */
export function createWebhooks(deps: {
  env: Env;
  db: Database;
  masterKey: MasterKey;
  /** The queue once started (read when a wake-up is sent, never at construction). */
  queue: () => JobQueue;
  mail: () => MailService;
  log: Logger;
}): WebhookService {
  const { env, db } = deps;
  const scheme = env.NODE_ENV === "production" ? "https" : "http";
  return new WebhookService({
    db,
    keyring: new TenantKeyring(deps.masterKey),
    allowLoopback: env.WEBHOOKS_ALLOW_LOOPBACK && env.NODE_ENV !== "production",
    timeoutMs: env.WEBHOOKS_TIMEOUT_SECONDS * 1000,
    log: deps.log,
    wake: async (tenant, startAfter) => {
      await deps.queue().trySend("webhooks", { tenant } satisfies WebhookDrainJob, {
        ...(startAfter ? { startAfter } : {}),
        retryLimit: 5,
        retryDelay: 30,
        retryBackoff: true,
        expireInSeconds: 15 * 60,
      });
    },
    notifyDisabled: async (tenant, endpoint) => {
      const owner = await withTenant(db, tenant, async ({ db: tx }) => {
        const [row] = await tx
          .select({ email: tenants.ownerEmail, name: tenants.ownerName, slug: tenants.slug })
          .from(tenants)
          .where(eq(tenants.id, tenant.id));
        return row;
      });
      if (!owner) return;
      await deps.mail().send(tenant, {
        kind: "webhook_disabled",
        to: owner.email,
        data: {
          name: owner.name,
          endpointUrl: endpoint.url,
          reason: endpoint.reason,
          settingsUrl: `${scheme}://${owner.slug}.${env.NEXT_PUBLIC_BASE_DOMAIN}/settings/webhooks`,
        },
      });
    },
  });
}

/**
 * The worker's handler of a "webhooks" job: drains the tenant's due deliveries (a full batch means
 * more may be due: it goes on), then asks to be woken when the next pending one is due.
 */
export async function drainJob(webhooks: WebhookService, job: QueuedJob<WebhookDrainJob>): Promise<void> {
  const tenant: TenantRef = job.data.tenant;
  const batch = 50;
  let pass = await webhooks.drain(tenant, batch);
  while (pass.attempted === batch) pass = await webhooks.drain(tenant, batch);
  if (pass.nextDueAt) await webhooks.kick(tenant, pass.nextDueAt);
}
