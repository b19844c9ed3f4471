import { FEATURES, PLAN_IDS } from "@nchat/billing/plans";
import { tenantStatus } from "@nchat/db/public";
import { z } from "zod";
import type { AttachmentMeta } from "../attachments/attachment-service";
import { ROLES } from "../auth/permissions";
import type { BillingStatus } from "../billing/billing-service";
import type {
  ChannelMemberView,
  ChannelView,
  MessagePage,
  MessageView,
  ReactionView,
  ThreadPage,
} from "../chat/views";
import type { LimitsOverview } from "../limits/overview";
import { ASSIGNABLE_ROLES } from "../members/inputs";
import type { InvitationView, MemberView } from "../members/views";

/**
 * What the procedures exposed by the public REST API (`/api/v1`) return, as zod schemas: `.output()`
 * of those procedures, and the response schemas of the OpenAPI document. They describe the views
 * exactly — the `Same<…>` checks at the end fail the typecheck when a view gains, loses or changes a
 * field without its schema following (an output schema drops unknown fields, which would silently
 * hide them from the web app too). Dates are `Date` in the procedures (superjson keeps them) and
 * ISO 8601 strings in JSON.
 */

const dateTime = z.date().meta({ format: "date-time" });
const uuid = z.string().meta({ format: "uuid" });
const role = z.enum(ROLES);

const userRef = z.object({ id: uuid, name: z.string() }).meta({ id: "UserRef" });

export const channelOutput = z
  .object({
    id: uuid,
    name: z.string().meta({ description: "For DMs: the other people's names." }),
    kind: z.enum(["public", "private", "dm"]),
    topic: z.string().nullable(),
    description: z.string().nullable(),
    isDefault: z.boolean(),
    createdBy: uuid.nullable(),
    archivedAt: dateTime.nullable(),
    lastMessageAt: dateTime.nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
    memberCount: z.number().int(),
    isMember: z.boolean().meta({ description: "Whether the caller is a member of the channel." }),
    myRole: z
      .string()
      .nullable()
      .meta({ description: '"owner" or "member" in the channel; null when not a member.' }),
    dmMembers: z.array(userRef).nullable().meta({ description: "DMs only: everyone in it." }),
  })
  .meta({ id: "Channel" });

export const channelListOutput = z.object({ channels: z.array(channelOutput) });

export const channelMemberOutput = z
  .object({
    id: uuid,
    name: z.string(),
    avatarUrl: z.string().nullable(),
    role: role.meta({ description: "Role in the workspace." }),
    channelRole: z.string().meta({ description: '"owner" or "member".' }),
    joinedAt: dateTime,
  })
  .meta({ id: "ChannelMember" });

export const channelMembersOutput = z.object({ members: z.array(channelMemberOutput) });

export const okOutput = z.object({ ok: z.literal(true) }).meta({ id: "Ok" });

export const addedMembersOutput = z.object({ added: z.array(uuid) });

export const reactionOutput = z
  .object({
    emoji: z.string(),
    count: z.number().int(),
    userIds: z.array(uuid),
    me: z.boolean().meta({ description: "Whether the caller reacted with this emoji." }),
  })
  .meta({ id: "Reaction" });

export const messageOutput = z
  .object({
    id: z.number().int(),
    channelId: uuid,
    parentId: z.number().int().nullable().meta({ description: "Thread replies: the message replied to." }),
    author: userRef.nullable(),
    body: z.string().meta({ description: 'Plain text with markdown syntax, never HTML; "" once deleted.' }),
    replyCount: z.number().int(),
    lastReplyAt: dateTime.nullable(),
    editedAt: dateTime.nullable(),
    deletedAt: dateTime.nullable(),
    createdAt: dateTime,
    attachments: z.array(
      z.object({ id: uuid, fileName: z.string(), contentType: z.string(), sizeBytes: z.number().int() }),
    ),
    reactions: z.array(reactionOutput),
  })
  .meta({ id: "Message" });

export const messagePageOutput = z
  .object({ messages: z.array(messageOutput), hasOlder: z.boolean(), hasNewer: z.boolean() })
  .meta({ id: "MessagePage", description: "Messages in ascending id order." });

export const threadPageOutput = messagePageOutput
  .extend({ parent: messageOutput })
  .meta({ id: "ThreadPage", description: "The thread's parent and its replies in ascending id order." });

export const reactOutput = z.object({
  reacted: z.boolean().meta({ description: "true: the reaction was added; false: removed." }),
  reactions: z.array(reactionOutput),
});

export const memberOutput = z
  .object({
    id: uuid,
    email: z.string(),
    name: z.string(),
    role,
    createdAt: dateTime,
    lastSeenAt: dateTime.nullable(),
    twoFactor: z.boolean(),
  })
  .meta({ id: "Member" });

export const invitationOutput = z
  .object({
    id: uuid,
    email: z.string(),
    role: z.enum(ASSIGNABLE_ROLES),
    expiresAt: dateTime,
    createdAt: dateTime,
    invitedBy: uuid.nullable(),
  })
  .meta({ id: "Invitation" });

export const memberListOutput = z.object({
  members: z.array(memberOutput),
  invitations: z
    .array(invitationOutput)
    .meta({ description: "Open invitations; empty unless the caller may invite." }),
});

export const invitedOutput = z.object({
  invitation: invitationOutput,
  token: z.string(),
  acceptUrl: z.string().meta({ description: "The link the invitee opens." }),
});

export const changedRoleOutput = z.object({ member: memberOutput });

const limits = z
  .object({
    users: z.number(),
    channels: z.number(),
    storageGb: z.number(),
    apiCallsPerMonth: z.number(),
    maxUploadMb: z.number(),
    requestsPerMinute: z.number().optional(),
    requestsPerHour: z.number().optional(),
  })
  .meta({ id: "Limits", description: "Resource limits of the plan; -1 is unlimited." });

const plan = z.enum(PLAN_IDS as readonly ["free", "pro", "enterprise", "custom"]);
const status = z.enum(tenantStatus.enumValues);

export const workspaceOutput = z
  .object({
    id: uuid,
    slug: z.string(),
    name: z.string(),
    status,
    plan,
    billingInterval: z.enum(["month", "year"]),
    branding: z.object({
      appName: z.string().optional(),
      primaryColor: z.string().optional(),
      secondaryColor: z.string().optional(),
      logoUrl: z.string().optional(),
    }),
    limits,
    features: z
      .record(z.string(), z.boolean())
      .meta({ description: `Plan features: ${FEATURES.join(", ")}.` }),
    trialEndsAt: dateTime.nullable(),
    currentPeriodEnd: dateTime.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    createdAt: dateTime,
  })
  .meta({ id: "Workspace" });

export const billingStatusOutput = z
  .object({
    mode: z.enum(["stripe", "offline"]),
    plan,
    planName: z.string(),
    interval: z.enum(["month", "year"]),
    status,
    currentPeriodStart: dateTime.nullable(),
    currentPeriodEnd: dateTime.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEndsAt: dateTime.nullable(),
    hasSubscription: z.boolean(),
    limits,
    lastPayment: z
      .object({ date: dateTime.nullable(), amount: z.number().nullable(), status: z.string().nullable() })
      .nullable()
      .meta({ description: "Owners only (null otherwise, or before any payment)." }),
    pendingChange: z
      .object({
        plan,
        planName: z.string(),
        interval: z.enum(["month", "year"]),
        invoiceUrl: z.string().nullable(),
        expiresAt: dateTime,
      })
      .nullable()
      .meta({
        description:
          "Owners only: an upgrade Stripe holds until its invoice is paid (the plan above stays until then).",
      }),
    plans: z.array(
      z.object({
        id: plan,
        name: z.string(),
        price: z.object({ month: z.number().nullable(), year: z.number().nullable() }),
        current: z.boolean(),
        available: z.boolean(),
      }),
    ),
    platformOff: z
      .array(z.enum(FEATURES))
      .meta({ description: "Plan features this platform has off: not offered, whatever the plan says." }),
  })
  .meta({ id: "BillingStatus" });

export const fileOutput = z
  .object({
    id: uuid,
    channelId: uuid,
    messageId: z.number().int().nullable(),
    uploaderId: uuid.nullable(),
    fileName: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int(),
    createdAt: dateTime,
  })
  .meta({ id: "File" });

export const usageOutput = z
  .object({
    plan,
    items: z.array(
      z.object({
        resource: z.enum(["users", "channels", "storage", "api_calls_month"]),
        used: z.number().meta({ description: "Storage in bytes; users include pending invitations." }),
        limit: z.number().meta({ description: "-1: unlimited." }),
        remaining: z.number().nullable(),
        state: z.enum(["ok", "approaching", "reached", "over"]),
      }),
    ),
    maxUploadBytes: z.number().nullable().meta({ description: "Largest file; null: unlimited." }),
  })
  .meta({ id: "Usage" });

// ─── The schemas describe the views exactly (a typecheck failure otherwise) ─────────────────────

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(ok: Same<A, B>) => ok;
same<z.output<typeof channelOutput>, ChannelView>(true);
same<z.output<typeof channelMemberOutput>, ChannelMemberView>(true);
same<z.output<typeof messageOutput>, MessageView>(true);
same<z.output<typeof messagePageOutput>, MessagePage>(true);
same<z.output<typeof threadPageOutput>, ThreadPage>(true);
same<z.output<typeof reactionOutput>, ReactionView>(true);
same<z.output<typeof memberOutput>, MemberView>(true);
same<z.output<typeof invitationOutput>, InvitationView>(true);
same<z.output<typeof fileOutput>, AttachmentMeta>(true);
same<z.output<typeof usageOutput>, LimitsOverview>(true);
same<Omit<z.output<typeof billingStatusOutput>, "platformOff">, BillingStatus>(true);
