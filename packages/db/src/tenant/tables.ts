// Over 400 lines on purpose: one factory defines every tenant table (its columns, indexes and
// references read together); a table's definition is short, the file is long because they all are here.
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** PostgreSQL's full-text document type (search columns only; never read by the app). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * What full-text search indexes: English stems (so "deploying" finds "deployed") plus the words as
 * typed (`simple`: names, stop words, prefixes of the word being typed). One expression, maintained
 * by PostgreSQL on every insert and edit.
 */
const searchDocument = (text: ReturnType<typeof sql>) =>
  sql`(to_tsvector('english'::regconfig, ${text}) || to_tsvector('simple'::regconfig, ${text}))`;

/**
 * The chat tables of one tenant, in its own schema. This factory is the only definition:
 * the template schema used for migrations and every live tenant schema come from it.
 * Foreign keys stay inside the schema (no reference into `public`).
 */
export function tenantTables(schemaName: string) {
  const s = pgSchema(schemaName);

  const userRole = s.enum("user_role", ["owner", "admin", "member", "guest"]);
  const channelKind = s.enum("channel_kind", ["public", "private", "dm"]);

  const users = s.table(
    "users",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      email: text("email").notNull(),
      name: text("name").notNull(),
      passwordHash: text("password_hash"),
      /** When the user proved they read mail at `email` (a verification link; null: not yet). */
      emailVerifiedAt: ts("email_verified_at"),
      role: userRole("role").notNull().default("member"),
      isService: boolean("is_service").notNull().default(false),
      avatarUrl: text("avatar_url"),
      deactivatedAt: ts("deactivated_at"),
      lastSeenAt: ts("last_seen_at"),
      /** Failed sign-ins since the last success (the back-off grows with it). */
      failedSignIns: integer("failed_sign_ins").notNull().default(0),
      /** No sign-in attempt is checked before this (back-off after failures). */
      signInBlockedUntil: ts("sign_in_blocked_until"),
      /**
       * Two-factor authentication (TOTP): the secret sealed with the tenant's data key (base64), set
       * when enrolment starts; enabled once a first code confirmed it (`totpEnabledAt`).
       */
      totpSecret: text("totp_secret"),
      totpEnabledAt: ts("totp_enabled_at"),
      /** The time step of the last code accepted: a code is never accepted twice. */
      totpLastStep: bigint("totp_last_step", { mode: "number" }),
      /** Failed second-factor codes since the last success, and their back-off (as for passwords). */
      twoFactorFailures: integer("two_factor_failures").notNull().default(0),
      twoFactorBlockedUntil: ts("two_factor_blocked_until"),
      /** IANA time zone name (e.g. "Europe/Berlin"); null until the person (or their browser) sets one. */
      timeZone: text("time_zone"),
      /**
       * The avatar: blob-store keys of the 256 px image and the 64 px thumbnail, both sealed with the
       * tenant's data key of `avatarKeyVersion`. `avatarUrl` is where members fetch it (null: initials).
       */
      avatarKey: text("avatar_key"),
      avatarThumbKey: text("avatar_thumb_key"),
      avatarKeyVersion: integer("avatar_key_version"),
      /** "Email me about mentions and DMs when I'm away" (on by default). */
      mentionEmails: boolean("mention_emails").notNull().default(true),
      /** Newest message the last mention digest covered (null: none sent yet); nothing older is mailed again. */
      mentionDigestAt: ts("mention_digest_at"),
      createdAt: ts("created_at").notNull().defaultNow(),
      updatedAt: ts("updated_at").notNull().defaultNow(),
    },
    (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`)],
  );

  const sessions = s.table(
    "sessions",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      tokenHash: text("token_hash").notNull().unique(),
      expiresAt: ts("expires_at").notNull(),
      lastUsedAt: ts("last_used_at").notNull().defaultNow(),
      ip: text("ip"),
      userAgent: text("user_agent"),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [index("sessions_user_idx").on(t.userId)],
  );

  /** One-time tokens that turn into a session on the tenant host (e.g. right after sign-up). */
  const loginTokens = s.table("login_tokens", {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  });

  /**
   * Single-use tokens sent by mail: "password_reset" (30 minutes) and "email_verification" of
   * `email` (the account's address, or the new one it is changing to). Hashes only (SHA-256).
   */
  const accountTokens = s.table(
    "account_tokens",
    {
      tokenHash: text("token_hash").primaryKey(),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      purpose: text("purpose").$type<"password_reset" | "email_verification">().notNull(),
      email: text("email").notNull(),
      expiresAt: ts("expires_at").notNull(),
      usedAt: ts("used_at"),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [index("account_tokens_user_idx").on(t.userId, t.purpose)],
  );

  /** Single-use recovery codes of a user's second factor (hashes only; shown once at creation). */
  const recoveryCodes = s.table(
    "two_factor_recovery_codes",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      codeHash: text("code_hash").notNull(),
      usedAt: ts("used_at"),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [uniqueIndex("two_factor_recovery_codes_user_code_key").on(t.userId, t.codeHash)],
  );

  /**
   * A sign-in whose password was right and whose second factor is still to come (not a session):
   * short-lived, a few code attempts, used once.
   */
  const twoFactorChallenges = s.table("two_factor_challenges", {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: ts("expires_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    usedAt: ts("used_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  });

  const apiKeys = s.table("api_keys", {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    scope: text("scope").notNull().default("read"),
    serviceUserId: uuid("service_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  });

  const channels = s.table(
    "channels",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      name: text("name").notNull(),
      kind: channelKind("kind").notNull().default("public"),
      topic: text("topic"),
      description: text("description"),
      isDefault: boolean("is_default").notNull().default(false),
      dmKey: text("dm_key").unique(),
      createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
      archivedAt: ts("archived_at"),
      lastMessageAt: ts("last_message_at"),
      createdAt: ts("created_at").notNull().defaultNow(),
      updatedAt: ts("updated_at").notNull().defaultNow(),
    },
    // Names are unique (case-insensitively) among PUBLIC channels only: every member who may create
    // a channel sees every public one, so a conflict there reveals nothing. A private channel's
    // name must not depend on channels its creator cannot see (that would reveal them): the rest of
    // the rule is checked in the chat service (assertChannelNameFree in @nchat/api's chat-service).
    (t) => [
      uniqueIndex("channels_public_name_key").on(sql`lower(${t.name})`).where(sql`${t.kind} = 'public'`),
    ],
  );

  const channelMembers = s.table(
    "channel_members",
    {
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      role: text("role").notNull().default("member"),
      joinedAt: ts("joined_at").notNull().defaultNow(),
      /**
       * What notifies this member here: "all", "mentions" or "nothing"; null is the default (all in
       * DMs, mentions in channels). `muted`: no unread emphasis and never a notification.
       */
      notifyLevel: text("notify_level"),
      muted: boolean("muted").notNull().default(false),
    },
    (t) => [
      primaryKey({ columns: [t.channelId, t.userId] }),
      index("channel_members_user_idx").on(t.userId),
      check("channel_members_notify_level_check", sql`"notify_level" in ('all', 'mentions', 'nothing')`),
    ],
  );

  const messages = s.table(
    "messages",
    {
      id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
      parentId: bigint("parent_id", { mode: "number" }).references((): AnyPgColumn => messages.id, {
        onDelete: "cascade",
      }),
      body: text("body").notNull(),
      replyCount: integer("reply_count").notNull().default(0),
      lastReplyAt: ts("last_reply_at"),
      editedAt: ts("edited_at"),
      deletedAt: ts("deleted_at"),
      createdAt: ts("created_at").notNull().defaultNow(),
      searchVector: tsvector("search_vector").generatedAlwaysAs(searchDocument(sql`"body"`)),
    },
    (t) => [
      index("messages_channel_idx").on(t.channelId, t.id),
      index("messages_parent_idx").on(t.parentId, t.id).where(sql`${t.parentId} is not null`),
      index("messages_search_idx").using("gin", t.searchVector),
    ],
  );

  const reactions = s.table(
    "reactions",
    {
      messageId: bigint("message_id", { mode: "number" })
        .notNull()
        .references(() => messages.id, { onDelete: "cascade" }),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      emoji: text("emoji").notNull(),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.messageId, t.userId, t.emoji] })],
  );

  const mentions = s.table(
    "mentions",
    {
      id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
      messageId: bigint("message_id", { mode: "number" })
        .notNull()
        .references(() => messages.id, { onDelete: "cascade" }),
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
      kind: text("kind").notNull(),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [index("mentions_user_idx").on(t.userId, t.channelId, t.messageId)],
  );

  const attachments = s.table(
    "attachments",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      messageId: bigint("message_id", { mode: "number" }).references(() => messages.id, {
        onDelete: "set null",
      }),
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      uploaderId: uuid("uploader_id").references(() => users.id, { onDelete: "set null" }),
      fileName: text("file_name").notNull(),
      contentType: text("content_type").notNull(),
      sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
      storageKey: text("storage_key").notNull().unique(),
      keyVersion: integer("key_version").notNull(),
      createdAt: ts("created_at").notNull().defaultNow(),
      /** File names split at punctuation ("q3-report.pdf" → q3, report, pdf). */
      searchVector: tsvector("search_vector").generatedAlwaysAs(
        searchDocument(sql`regexp_replace("file_name", '[[:punct:]]+', ' ', 'g')`),
      ),
    },
    (t) => [
      index("attachments_message_idx").on(t.messageId),
      index("attachments_channel_idx").on(t.channelId),
      index("attachments_search_idx").using("gin", t.searchVector),
    ],
  );

  const readState = s.table(
    "read_state",
    {
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      lastReadMessageId: bigint("last_read_message_id", { mode: "number" }).notNull().default(0),
      updatedAt: ts("updated_at").notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.channelId, t.userId] })],
  );

  /**
   * Durable chat events (message created/edited/deleted, reactions, channel changes) written in the
   * same transaction as the change. Their ids order a tenant's event stream: a reconnecting client
   * resumes from the last id it saw.
   */
  const events = s.table(
    "events",
    {
      id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
      channelId: uuid("channel_id").references(() => channels.id, { onDelete: "cascade" }),
      type: text("type").notNull(),
      payload: jsonb("payload").notNull(),
      createdAt: ts("created_at").notNull().defaultNow(),
    },
    (t) => [index("events_channel_idx").on(t.channelId, t.id)],
  );

  /** Pinned messages: at most one pin per message, listed per channel (newest pin first). */
  const pins = s.table(
    "pins",
    {
      messageId: bigint("message_id", { mode: "number" })
        .primaryKey()
        .references(() => messages.id, { onDelete: "cascade" }),
      channelId: uuid("channel_id")
        .notNull()
        .references(() => channels.id, { onDelete: "cascade" }),
      pinnedBy: uuid("pinned_by").references(() => users.id, { onDelete: "set null" }),
      pinnedAt: ts("pinned_at").notNull().defaultNow(),
    },
    (t) => [index("pins_channel_idx").on(t.channelId, t.pinnedAt)],
  );

  /** Who was active in which UTC month ("YYYY-MM"): one row per user per month. */
  const monthlyActiveUsers = s.table(
    "monthly_active_users",
    {
      period: text("period").notNull(),
      userId: uuid("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.period, t.userId] })],
  );

  /**
   * Outgoing webhook endpoints (packages/api/src/webhooks): where the workspace's events are POSTed.
   * The secrets are sealed with the tenant's data key; during a rotation's overlap the previous one
   * still signs until `previous_secret_expires_at`. `channel_id` narrows channel events to one
   * channel (no reference: a removed channel's filter matches nothing rather than everything).
   */
  const webhookEndpoints = s.table("webhook_endpoints", {
    id: uuid("id").primaryKey().defaultRandom(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    eventTypes: jsonb("event_types").$type<string[]>().notNull(),
    channelId: uuid("channel_id"),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason"),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: ts("previous_secret_expires_at"),
    /** Failed attempts since the last success, and since when (an endpoint failing for a day is disabled). */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    failingSince: ts("failing_since"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  });

  /**
   * The outbox and delivery log of outgoing webhooks: one row per (event, endpoint), written in the
   * transaction of the change. `pending` rows are due at `next_attempt_at`; a row being sent is
   * `sending` until `lease_until` (a worker that died mid-delivery leaves it to be sent again).
   */
  const webhookDeliveries = s.table(
    "webhook_deliveries",
    {
      id: uuid("id").primaryKey().defaultRandom(),
      endpointId: uuid("endpoint_id")
        .notNull()
        .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
      /** The Standard Webhooks message id (`webhook-id`): the same for every try and a resend. */
      msgId: text("msg_id").notNull(),
      eventType: text("event_type").notNull(),
      /** The exact JSON body that is signed and sent. */
      body: text("body").notNull(),
      /** pending, sending, delivered, failed (no try left or endpoint disabled). */
      status: text("status").notNull().default("pending"),
      attempts: integer("attempts").notNull().default(0),
      nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
      leaseUntil: ts("lease_until"),
      lastStatusCode: integer("last_status_code"),
      lastDurationMs: integer("last_duration_ms"),
      lastError: text("last_error"),
      responseBody: text("response_body"),
      createdAt: ts("created_at").notNull().defaultNow(),
      updatedAt: ts("updated_at").notNull().defaultNow(),
      deliveredAt: ts("delivered_at"),
    },
    (t) => [
      index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt),
      index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    ],
  );

  return {
    userRole,
    channelKind,
    users,
    sessions,
    loginTokens,
    accountTokens,
    recoveryCodes,
    twoFactorChallenges,
    apiKeys,
    channels,
    channelMembers,
    messages,
    reactions,
    mentions,
    attachments,
    readState,
    pins,
    monthlyActiveUsers,
    events,
    webhookEndpoints,
    webhookDeliveries,
  };
}

export type TenantTables = ReturnType<typeof tenantTables>;
