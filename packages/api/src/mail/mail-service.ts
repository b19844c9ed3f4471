import { createHmac, randomUUID } from "node:crypto";
import { type Database, type MasterKey, open, seal, type TenantRef, withTenant } from "@nchat/db";
import { mailDeliveries, tenants } from "@nchat/db/public";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Logger } from "../infra/log";
import type { JobQueue, QueuedJob, RetryPolicy } from "../jobs/queue";
import type { Mailer } from "./mailer";
import { type MailBrand, type MailRequest, renderMail } from "./templates";

/**
 * A job of the "mail" queue: one mail of the delivery log to send. The mail itself (recipient, links
 * with single-use tokens) is sealed (AES-256-GCM under a key derived from the master key, bound to
 * the delivery): the queue's tables and archive never hold a readable token.
 */
export type MailJob = { tenant: TenantRef; deliveryId: string; sealed: string };

export type DeliveryView = {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  status: "queued" | "sent" | "failed";
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
};

export type MailServiceDeps = {
  db: Database;
  queue: JobQueue;
  mailer: Mailer;
  from: string;
  masterKey: MasterKey;
  retry: RetryPolicy;
  log: Logger;
};

type TenantDb = Parameters<Parameters<typeof withTenant>[2]>[0]["db"];

async function readBrand(db: TenantDb, tenantId: string): Promise<MailBrand> {
  const [row] = await db
    .select({ name: tenants.name, branding: tenants.branding })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  return { workspaceName: row?.name ?? "your workspace", branding: row?.branding ?? {} };
}

/**
 * Outgoing mail. `send` records the mail in the tenant's delivery log and queues it — a request
 * never waits for SMTP; the worker (`deliver`, every app process) renders it in the workspace's
 * branding and sends it, retried with back-off while the server fails. Both run as the tenant's own
 * role: the log is a shared table under row-level security, like the others.
 */
export class MailService {
  private readonly key: Buffer;
  constructor(private readonly deps: MailServiceDeps) {
    this.key = createHmac("sha256", deps.masterKey.key).update("nchat-mail-job").digest();
  }

  /** Records and queues one mail of a tenant; returns its delivery id. */
  async send(tenant: TenantRef, mail: MailRequest): Promise<string> {
    const deliveryId = randomUUID();
    const jobId = randomUUID();
    await withTenant(this.deps.db, tenant, async ({ db }) => {
      const brand = await readBrand(db, tenant.id);
      await db.insert(mailDeliveries).values({
        id: deliveryId,
        tenantId: tenant.id,
        kind: mail.kind,
        recipient: mail.to,
        subject: renderMail(mail, brand).subject,
        jobId,
      });
    });
    const job: MailJob = {
      tenant: { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole },
      deliveryId,
      sealed: seal(this.key, Buffer.from(JSON.stringify(mail)), Buffer.from(deliveryId)).toString("base64"),
    };
    try {
      await this.deps.queue.send("mail", job, this.deps.retry, jobId);
    } catch (err) {
      await this.record(tenant, deliveryId, { status: "failed", lastError: "could not be queued" }).catch(
        () => {},
      );
      throw err;
    }
    return deliveryId;
  }

  /** The worker's handler of one mail job: one try, recorded in the delivery log. */
  async deliver(job: QueuedJob<MailJob>): Promise<void> {
    const { tenant, deliveryId } = job.data;
    const mail = JSON.parse(
      open(this.key, Buffer.from(job.data.sealed, "base64"), Buffer.from(deliveryId)).toString(),
    ) as MailRequest;
    const brand = await withTenant(this.deps.db, tenant, async ({ db }) => {
      const [row] = await db
        .update(mailDeliveries)
        .set({ attempts: sql`${mailDeliveries.attempts} + 1`, updatedAt: new Date() })
        .where(and(eq(mailDeliveries.id, deliveryId), eq(mailDeliveries.status, "queued")))
        .returning({ id: mailDeliveries.id });
      return row ? readBrand(db, tenant.id) : null;
    });
    if (!brand) return; // already sent, or given up: nothing to do
    try {
      const rendered = renderMail(mail, brand);
      const sent = await this.deps.mailer.send({ ...rendered, to: mail.to, from: this.deps.from });
      await this.record(tenant, deliveryId, {
        status: "sent",
        sentAt: new Date(),
        messageId: sent.messageId.slice(0, 300),
      });
    } catch (err) {
      const last = job.retryCount >= job.retryLimit;
      const message = errorText(err);
      this.deps.log.warn(
        { tenantId: tenant.id, deliveryId, attempt: job.retryCount + 1, last, error: message },
        last ? "mail: delivery failed, no try left" : "mail: delivery failed, will retry",
      );
      await this.record(tenant, deliveryId, { status: last ? "failed" : "queued", lastError: message });
      throw err;
    }
  }

  /** The tenant's delivery log, newest first. */
  async deliveries(tenant: TenantRef, limit = 50): Promise<DeliveryView[]> {
    const rows = await withTenant(this.deps.db, tenant, ({ db }) =>
      db
        .select()
        .from(mailDeliveries)
        .where(eq(mailDeliveries.tenantId, tenant.id))
        .orderBy(desc(mailDeliveries.createdAt))
        .limit(limit),
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      recipient: r.recipient,
      subject: r.subject,
      status: r.status as DeliveryView["status"],
      attempts: r.attempts,
      lastError: r.lastError,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      sentAt: r.sentAt,
    }));
  }

  private record(
    tenant: TenantRef,
    deliveryId: string,
    change: Partial<typeof mailDeliveries.$inferInsert>,
  ): Promise<unknown> {
    return withTenant(this.deps.db, tenant, ({ db }) =>
      db
        .update(mailDeliveries)
        .set({ ...change, updatedAt: new Date() })
        .where(eq(mailDeliveries.id, deliveryId)),
    );
  }
}

/** An SMTP failure as the log may show it: first line, bounded, no credentials. */
function errorText(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const first = String(e?.message ?? err)
    .split("\n")[0]!
    .replace(/\/\/[^@\s]+@/g, "//[redacted]@");
  return [e?.code, e?.responseCode, first].filter(Boolean).join(" ").slice(0, 500);
}
