import {
  type Database,
  type TenantActor,
  type TenantRef,
  type TenantTables,
  type TenantTx,
  withTenant,
} from "@nchat/db";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../audit/actor";
import type { Role } from "../auth/permissions";
import type { UsageRecorder } from "../limits/usage";
import { outboxWritten } from "../webhooks/events";
import { unauthorized } from "./errors";
import type { ChatEventPublisher, TrackedChatEvent } from "./events";

/** The tenant of a chat call: its ref plus the plan's features (from the resolver). */
export type ChatTenant = TenantRef & { features: Record<string, boolean> };

export type ChatServiceDeps = {
  db: Database;
  /** Delivers events live after commit (the realtime bus). */
  events: ChatEventPublisher;
  usage: Pick<UsageRecorder, "record">;
  log?: (msg: string, err?: unknown) => void;
  /** Wakes the outgoing-webhook worker after a commit that wrote outbox rows. */
  webhooks?: { kick(tenant: TenantRef): Promise<void> };
};

/** The tenant transaction every chat statement runs in. */
export type Tx = TenantTx["db"];
/** The caller as stored now in the tenant's users table. */
export type Me = { id: string; name: string; role: Role };
/** A durable change's result and the events it recorded (last in its transaction). */
export type Committed<T> = { result: T; events: TrackedChatEvent[] };
/** The body of a unit of work: the transaction, the tenant's tables, the caller. */
export type Work<T> = (db: Tx, t: TenantTables, me: Me) => Promise<T>;

const uuid = z.uuid();

/**
 * The transaction and tenant plumbing of every chat call: each runs under the tenant's own role
 * (`withTenant`), with the caller read from the tenant's users table in the same transaction (role
 * as stored now; a removed member is UNAUTHORIZED at once). Durable changes publish the events they
 * recorded after commit; a failed publish is logged (clients catch up from `events`).
 */
export class ChatUnitOfWork {
  constructor(readonly deps: ChatServiceDeps) {}

  /** A unit of work as the calling user (read from the tenant's users table first). */
  run<T>(tenant: ChatTenant, actor: Actor, fn: Work<T>): Promise<T> {
    return withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => fn(db, t, await currentUser(db, t, actor)),
      tenantActor(actor),
    );
  }

  /** A durable change: commits, then publishes the events it recorded (last in its transaction). */
  async write<T>(tenant: ChatTenant, actor: Actor, fn: Work<Committed<T>>): Promise<T> {
    let hooks = false;
    const { result, events } = await this.run(tenant, actor, async (db, t, me) => {
      const done = await fn(db, t, me);
      hooks = outboxWritten(db);
      return done;
    });
    await this.publish(tenant, events);
    if (hooks) await this.deps.webhooks?.kick(tenant);
    return result;
  }

  /** Delivers events after commit; a failure is logged, never thrown (the change is committed). */
  async publish(tenant: TenantRef, events: TrackedChatEvent[]): Promise<void> {
    const ref: TenantRef = { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole };
    for (const event of events) {
      try {
        await this.deps.events.publish(ref, event);
      } catch (err) {
        // Committed already; durable events are replayed from the `events` table on reconnect.
        this.deps.log?.(`chat: publishing ${event.type} failed`, err);
      }
    }
  }
}

function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}

/** The caller as stored now: an active user of this tenant, or UNAUTHORIZED. */
async function currentUser(db: Tx, t: TenantTables, actor: Actor): Promise<Me> {
  if (!actor.id || !uuid.safeParse(actor.id).success) throw unauthorized();
  const [row] = await db
    .select({ id: t.users.id, name: t.users.name, role: t.users.role })
    .from(t.users)
    .where(and(eq(t.users.id, actor.id), isNull(t.users.deactivatedAt)));
  if (!row) throw unauthorized();
  return row;
}
