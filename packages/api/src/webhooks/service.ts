import { type Database, open, seal, type TenantRef, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { and, asc, desc, eq, inArray, lte, or, sql } from "drizzle-orm";
import type { TenantKeyring } from "../attachments/keys";
import type { Actor } from "../audit/actor";
import type { Tx } from "../chat/unit-of-work";
import { AppError } from "../errors";
import type { Logger } from "../infra/log";
import { requireFeature } from "../limits/features";
import { newMsgId, payloadBody, recordWebhookEvent, type WebhookEvent } from "./events";
import { checkUrlShape, type Resolver } from "./ssrf";
import { newSecret, REQUEST_BODY_LOG_LIMIT, sendWebhook } from "./transport";

/** A job of the "webhooks" queue: send what is due for one tenant. */
export type WebhookDrainJob = { tenant: TenantRef };

/** Tries per delivery: ~26 h from the first to the last (see `retryDelaySeconds`). */
export const MAX_ATTEMPTS = 14;
/** An endpoint whose attempts failed without a success for this long (and at least DISABLE_MIN_FAILURES) is disabled. */
export const DISABLE_AFTER_MS = 24 * 3600_000;
export const DISABLE_MIN_FAILURES = 10;
/** At most this many endpoints per workspace (until plans carry their own `webhookEndpoints` limit). */
export const MAX_ENDPOINTS = 20;

/**
 * Delay before try n+1 after n failed tries: 30 s · 2^(n−1), at most 6 h, times a jitter in
 * [0.8, 1.2). Fourteen tries span about a day (30 s, 1 min, 2 min … 4 h 16 min, then 6 h three times).
 */
export function retryDelaySeconds(failedTries: number, random: () => number = Math.random): number {
  const base = Math.min(30 * 2 ** (failedTries - 1), 6 * 3600);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type WebhookServiceDeps = {
  db: Database;
  keyring: TenantKeyring;
  /** Wakes a tenant's drain (the "webhooks" queue); absent, drains run only when called. */
  wake?: (tenant: TenantRef, startAfter?: Date) => Promise<void>;
  /** Tells the workspace's owner that an endpoint was disabled (mail). */
  notifyDisabled?: (
    tenant: TenantRef,
    endpoint: { id: string; url: string; reason: string },
  ) => Promise<void>;
  allowLoopback: boolean;
  resolver?: Resolver;
  timeoutMs: number;
  now?: () => Date;
  random?: () => number;
  log: Logger;
};

export type EndpointInput = {
  url: string;
  description?: string;
  eventTypes: string[];
  channelId?: string | null;
  enabled?: boolean;
};

export type EndpointView = {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  channelId: string | null;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  rotating: boolean;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
};

export type DeliveryView = {
  id: string;
  endpointId: string;
  msgId: string;
  eventType: string;
  status: "pending" | "sending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  /** The request body, cut at REQUEST_BODY_LOG_LIMIT. */
  requestBody: string;
  responseBody: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
};

const secretAad = (tenantId: string, endpointId: string) =>
  Buffer.from(`nchat:webhook-secret:${tenantId}:${endpointId}`);

/**
 * Outgoing webhooks of a workspace: its endpoints (owners and admins, plan feature `integrations`),
 * their secrets (sealed with the tenant's data key, shown once), and delivery from the outbox that
 * changes write in their own transaction (`recordWebhookEvent`). Everything runs as the tenant's own
 * role in its own schema: one tenant's worker pass cannot read or send another's.
 */
export class WebhookService {
  private readonly now: () => Date;
  private readonly random: () => number;
  constructor(private readonly deps: WebhookServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  async create(
    tenant: TenantRef,
    actor: Actor,
    input: EndpointInput,
  ): Promise<{ endpoint: EndpointView; secret: string }> {
    checkUrlShape(input.url);
    const secret = newSecret();
    const endpoint = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      await db.execute(
        sql`select pg_advisory_xact_lock(hashtext(${`nchat:webhook-endpoints:${tenant.id}`}))`,
      );
      const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(t.webhookEndpoints);
      if ((count?.n ?? 0) >= MAX_ENDPOINTS)
        throw new AppError("LIMIT_EXCEEDED", `At most ${MAX_ENDPOINTS} webhook endpoints per workspace.`, {
          limit: "webhookEndpoints",
          max: MAX_ENDPOINTS,
        });
      const id = crypto.randomUUID();
      const { key } = await this.deps.keyring.dataKey(db, tenant);
      const [row] = await db
        .insert(t.webhookEndpoints)
        .values({
          id,
          url: input.url,
          description: input.description ?? "",
          eventTypes: input.eventTypes,
          channelId: input.channelId ?? null,
          enabled: input.enabled ?? true,
          secret: seal(key, Buffer.from(secret), secretAad(tenant.id, id)).toString("base64"),
          createdBy: actor.type === "user" ? actor.id : null,
        })
        .returning();
      return toView(row!, this.now());
    });
    return { endpoint, secret };
  }

  async list(tenant: TenantRef): Promise<EndpointView[]> {
    const now = this.now();
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const rows = await db.select().from(t.webhookEndpoints).orderBy(asc(t.webhookEndpoints.createdAt));
      return rows.map((r) => toView(r, now));
    });
  }

  /** Changes an endpoint; enabling it again clears its failure run. */
  async update(tenant: TenantRef, id: string, patch: Partial<EndpointInput>): Promise<EndpointView> {
    if (patch.url !== undefined) checkUrlShape(patch.url);
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const [row] = await db
        .update(t.webhookEndpoints)
        .set({
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.eventTypes !== undefined ? { eventTypes: patch.eventTypes } : {}),
          ...(patch.channelId !== undefined ? { channelId: patch.channelId } : {}),
          ...(patch.enabled !== undefined
            ? patch.enabled
              ? { enabled: true, disabledReason: null, consecutiveFailures: 0, failingSince: null }
              : { enabled: false, disabledReason: "disabled by an admin" }
            : {}),
          updatedAt: this.now(),
        })
        .where(eq(t.webhookEndpoints.id, id))
        .returning();
      if (!row) throw notFound();
      return toView(row, this.now());
    });
  }

  async remove(tenant: TenantRef, id: string): Promise<void> {
    await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const gone = await db
        .delete(t.webhookEndpoints)
        .where(eq(t.webhookEndpoints.id, id))
        .returning({ id: t.webhookEndpoints.id });
      if (gone.length === 0) throw notFound();
    });
  }

  /**
   * A new secret (returned once); the current one keeps signing beside it for `overlapHours` (0: it
   * stops at once), so receivers can switch without losing a delivery.
   */
  async rotateSecret(tenant: TenantRef, id: string, overlapHours: number): Promise<{ secret: string }> {
    const secret = newSecret();
    const now = this.now();
    await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const [row] = await db
        .select({ secret: t.webhookEndpoints.secret })
        .from(t.webhookEndpoints)
        .where(eq(t.webhookEndpoints.id, id))
        .for("update");
      if (!row) throw notFound();
      const { key } = await this.deps.keyring.dataKey(db, tenant);
      await db
        .update(t.webhookEndpoints)
        .set({
          secret: seal(key, Buffer.from(secret), secretAad(tenant.id, id)).toString("base64"),
          previousSecret: overlapHours > 0 ? row.secret : null,
          previousSecretExpiresAt:
            overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3600_000) : null,
          updatedAt: now,
        })
        .where(eq(t.webhookEndpoints.id, id));
    });
    return { secret };
  }

  /** Queues a `webhook.test` event to this endpoint only (enabled or not is its own business: it must be enabled). */
  async sendTest(tenant: TenantRef, id: string): Promise<{ deliveryId: string }> {
    const now = this.now();
    const deliveryId = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const [ep] = await db
        .select({ id: t.webhookEndpoints.id, enabled: t.webhookEndpoints.enabled })
        .from(t.webhookEndpoints)
        .where(eq(t.webhookEndpoints.id, id));
      if (!ep) throw notFound();
      if (!ep.enabled) throw new AppError("CONFLICT", "The endpoint is disabled: enable it first.");
      const event: WebhookEvent = { type: "webhook.test", data: { endpointId: id } };
      const [row] = await db
        .insert(t.webhookDeliveries)
        .values({
          endpointId: id,
          msgId: newMsgId(),
          eventType: event.type,
          body: payloadBody(event, now),
          nextAttemptAt: now,
        })
        .returning({ id: t.webhookDeliveries.id });
      return row!.id;
    });
    await this.kick(tenant);
    return { deliveryId };
  }

  /** Sends a delivery again (same message id and body), with a fresh set of tries. */
  async resend(tenant: TenantRef, deliveryId: string): Promise<void> {
    await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const d = t.webhookDeliveries;
      const [row] = await db
        .update(d)
        .set({
          status: "pending",
          attempts: 0,
          nextAttemptAt: this.now(),
          leaseUntil: null,
          updatedAt: this.now(),
        })
        .where(and(eq(d.id, deliveryId), inArray(d.status, ["delivered", "failed"])))
        .returning({ id: d.id });
      if (!row) {
        const [exists] = await db.select({ id: d.id }).from(d).where(eq(d.id, deliveryId));
        if (!exists) throw notFound();
        throw new AppError("CONFLICT", "This delivery is still being tried.");
      }
    });
    await this.kick(tenant);
  }

  /** An endpoint's delivery log, newest first. */
  async deliveries(tenant: TenantRef, endpointId: string, limit = 50): Promise<DeliveryView[]> {
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.requireIntegrations(db, tenant);
      const d = t.webhookDeliveries;
      const rows = await db
        .select()
        .from(d)
        .where(eq(d.endpointId, endpointId))
        .orderBy(desc(d.createdAt), desc(d.id))
        .limit(limit);
      return rows.map((r) => ({
        id: r.id,
        endpointId: r.endpointId,
        msgId: r.msgId,
        eventType: r.eventType,
        status: r.status as DeliveryView["status"],
        attempts: r.attempts,
        nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null,
        lastStatusCode: r.lastStatusCode,
        lastDurationMs: r.lastDurationMs,
        lastError: r.lastError,
        requestBody: r.body.slice(0, REQUEST_BODY_LOG_LIMIT),
        responseBody: r.responseBody,
        createdAt: r.createdAt,
        deliveredAt: r.deliveredAt,
      }));
    });
  }

  /** An event outside a chat transaction (plan changes): its own transaction, then the worker is woken. */
  async emit(tenant: TenantRef, event: WebhookEvent): Promise<number> {
    const n = await withTenant(this.deps.db, tenant, ({ db, t }) =>
      recordWebhookEvent(db, t, event, this.now()),
    );
    if (n > 0) await this.kick(tenant);
    return n;
  }

  /** Wakes the tenant's drain after a commit that wrote outbox rows; a failure is logged (the sweep finds them). */
  async kick(tenant: TenantRef, startAfter?: Date): Promise<void> {
    if (!this.deps.wake) return;
    try {
      await this.deps.wake(
        { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole },
        startAfter,
      );
    } catch (err) {
      this.deps.log.warn({ err, tenantId: tenant.id }, "webhooks: could not wake the worker");
    }
  }

  /**
   * One pass of the worker for a tenant: claims what is due (pending and due, or `sending` whose lease
   * ran out — a worker that died mid-delivery), sends each, records the result and schedules the next
   * try. Returns what it attempted and when the next pending delivery is due (the next wake-up).
   */
  async drain(tenant: TenantRef, batch = 50): Promise<{ attempted: number; nextDueAt: Date | null }> {
    const now = this.now();
    const leaseMs = this.deps.timeoutMs + 30_000;
    const claimed = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const d = t.webhookDeliveries;
      // A workspace whose plan lost integrations sends nothing: what waits fails (resend after an upgrade).
      const [plan] = await db
        .select({ features: tenants.features })
        .from(tenants)
        .where(eq(tenants.id, tenant.id));
      if ((plan?.features as Record<string, boolean> | undefined)?.integrations !== true) {
        await db
          .update(d)
          .set({
            status: "failed",
            lastError: "plan does not include integrations",
            leaseUntil: null,
            updatedAt: now,
          })
          .where(inArray(d.status, ["pending", "sending"]));
        return [];
      }
      const due = await db
        .select({ id: d.id })
        .from(d)
        .where(
          or(
            and(eq(d.status, "pending"), lte(d.nextAttemptAt, now)),
            and(eq(d.status, "sending"), lte(d.leaseUntil, now)),
          ),
        )
        .orderBy(asc(d.nextAttemptAt), asc(d.createdAt))
        .limit(batch)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      return db
        .update(d)
        .set({ status: "sending", leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now })
        .where(
          inArray(
            d.id,
            due.map((r) => r.id),
          ),
        )
        .returning();
    });
    for (const delivery of claimed) await this.attempt(tenant, delivery);
    const nextDueAt = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const d = t.webhookDeliveries;
      const [row] = await db
        .select({ at: sql<Date | null>`min(${d.nextAttemptAt})` })
        .from(d)
        .where(eq(d.status, "pending"));
      return row?.at ? new Date(row.at) : null;
    });
    return { attempted: claimed.length, nextDueAt };
  }

  private async attempt(
    tenant: TenantRef,
    delivery: { id: string; endpointId: string; msgId: string; body: string; attempts: number },
  ): Promise<void> {
    const now = this.now();
    const endpoint = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [ep] = await db
        .select()
        .from(t.webhookEndpoints)
        .where(eq(t.webhookEndpoints.id, delivery.endpointId));
      if (!ep) return null;
      const { key } = await this.deps.keyring.dataKey(db, tenant);
      const unseal = (s: string) =>
        open(key, Buffer.from(s, "base64"), secretAad(tenant.id, ep.id)).toString("utf8");
      const secrets = [unseal(ep.secret)];
      if (ep.previousSecret && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt > now)
        secrets.push(unseal(ep.previousSecret));
      return { ...ep, secrets };
    });
    if (!endpoint) return; // removed with its deliveries (cascade)
    if (!endpoint.enabled) {
      await this.finish(tenant, delivery.id, {
        status: "failed",
        lastError: "endpoint disabled",
        leaseUntil: null,
      });
      return;
    }
    const result = await sendWebhook({
      url: endpoint.url,
      msgId: delivery.msgId,
      at: now,
      body: delivery.body,
      secrets: endpoint.secrets,
      timeoutMs: this.deps.timeoutMs,
      policy: { allowLoopback: this.deps.allowLoopback, resolver: this.deps.resolver },
    });
    const tries = delivery.attempts + 1;
    const common = {
      attempts: tries,
      leaseUntil: null,
      lastStatusCode: result.statusCode,
      lastDurationMs: result.durationMs,
      lastError: result.error,
      responseBody: result.responseBody,
    };
    if (result.ok) {
      await withTenant(this.deps.db, tenant, async ({ db, t }) => {
        await db
          .update(t.webhookDeliveries)
          .set({ ...common, status: "delivered", deliveredAt: now, updatedAt: now })
          .where(eq(t.webhookDeliveries.id, delivery.id));
        await db
          .update(t.webhookEndpoints)
          .set({ consecutiveFailures: 0, failingSince: null })
          .where(eq(t.webhookEndpoints.id, endpoint.id));
      });
      return;
    }
    const last = tries >= MAX_ATTEMPTS;
    const disabled = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await db
        .update(t.webhookDeliveries)
        .set({
          ...common,
          status: last ? "failed" : "pending",
          nextAttemptAt: last ? now : new Date(now.getTime() + retryDelaySeconds(tries, this.random) * 1000),
          updatedAt: now,
        })
        .where(eq(t.webhookDeliveries.id, delivery.id));
      const e = t.webhookEndpoints;
      const [ep] = await db
        .update(e)
        .set({
          consecutiveFailures: sql`${e.consecutiveFailures} + 1`,
          failingSince: sql`coalesce(${e.failingSince}, ${now.toISOString()}::timestamptz)`,
        })
        .where(eq(e.id, endpoint.id))
        .returning({ failures: e.consecutiveFailures, since: e.failingSince, enabled: e.enabled });
      if (
        !ep?.enabled ||
        ep.failures < DISABLE_MIN_FAILURES ||
        !ep.since ||
        now.getTime() - new Date(ep.since).getTime() < DISABLE_AFTER_MS
      )
        return null;
      const reason = `every delivery failed for a day (${ep.failures} attempts; last: ${result.error ?? "error"})`;
      await db
        .update(e)
        .set({ enabled: false, disabledReason: reason, updatedAt: now })
        .where(eq(e.id, endpoint.id));
      return reason;
    });
    if (disabled) {
      this.deps.log.warn(
        { tenantId: tenant.id, endpointId: endpoint.id },
        "webhooks: endpoint disabled after failures",
      );
      await this.deps
        .notifyDisabled?.(tenant, { id: endpoint.id, url: endpoint.url, reason: disabled })
        .catch((err) => this.deps.log.warn({ err, tenantId: tenant.id }, "webhooks: owner not notified"));
    }
  }

  private finish(tenant: TenantRef, id: string, change: Record<string, unknown>): Promise<unknown> {
    return withTenant(this.deps.db, tenant, ({ db, t }) =>
      db
        .update(t.webhookDeliveries)
        .set({ ...change, updatedAt: this.now() })
        .where(eq(t.webhookDeliveries.id, id)),
    );
  }

  /** FEATURE_NOT_IN_PLAN unless the workspace's plan (as stored now) includes integrations. */
  private async requireIntegrations(db: Tx, tenant: TenantRef): Promise<void> {
    const [row] = await db
      .select({ features: tenants.features })
      .from(tenants)
      .where(eq(tenants.id, tenant.id));
    requireFeature((row?.features ?? {}) as Record<string, boolean>, "integrations");
  }
}

const notFound = () => new AppError("NOT_FOUND", "No such webhook endpoint or delivery.");

function toView(
  r: {
    id: string;
    url: string;
    description: string;
    eventTypes: string[];
    channelId: string | null;
    enabled: boolean;
    disabledReason: string | null;
    consecutiveFailures: number;
    previousSecret: string | null;
    previousSecretExpiresAt: Date | null;
    createdAt: Date;
  },
  now: Date,
): EndpointView {
  const rotating = !!r.previousSecret && !!r.previousSecretExpiresAt && r.previousSecretExpiresAt > now;
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.eventTypes,
    channelId: r.channelId,
    enabled: r.enabled,
    disabledReason: r.disabledReason,
    consecutiveFailures: r.consecutiveFailures,
    rotating,
    previousSecretExpiresAt: rotating ? r.previousSecretExpiresAt : null,
    createdAt: r.createdAt,
  };
}
