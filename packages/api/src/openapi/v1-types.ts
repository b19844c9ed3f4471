/**
 * The public REST API (/api/v1), generated from its OpenAPI document by openapi-typescript.
 * Do not edit: run `pnpm --filter @nchat/api openapi:types` (a test checks it against the document).
 */

export interface paths {
  "/billing": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Plan, limits, billing period and status */
    get: operations["billing-status"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** My channels and DMs, and the public channels I may join */
    get: operations["chat-channels"];
    put?: never;
    /** Create a channel */
    post: operations["chat-createChannel"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A channel */
    get: operations["chat-channel"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Rename a channel, set its topic or description */
    patch: operations["chat-updateChannel"];
    trace?: never;
  };
  "/channels/{channelId}/archive": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Archive a channel */
    post: operations["chat-archiveChannel"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/join": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Join a public channel */
    post: operations["chat-joinChannel"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/leave": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Leave a channel */
    post: operations["chat-leaveChannel"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/members": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A channel's members */
    get: operations["chat-channelMembers"];
    put?: never;
    /** Add people to a channel */
    post: operations["chat-addMembers"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/members/{userId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove someone from a channel */
    delete: operations["chat-removeMember"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/messages": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A page of a channel's messages (history) */
    get: operations["chat-list"];
    put?: never;
    /** Send a message (or a thread reply with parentId) */
    post: operations["chat-send"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/channels/{channelId}/unarchive": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Unarchive a channel */
    post: operations["chat-unarchiveChannel"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/files/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A file's metadata (name, type, size) */
    get: operations["attachments-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/members": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Active members (and open invitations, for those who may invite) */
    get: operations["members-list"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/members/{userId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove (deactivate) a member */
    delete: operations["members-remove"];
    options?: never;
    head?: never;
    /** Change a member's role */
    patch: operations["members-changeRole"];
    trace?: never;
  };
  "/members/invitations": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Invite someone by email */
    post: operations["members-invite"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/messages/{messageId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Delete a message */
    delete: operations["chat-delete"];
    options?: never;
    head?: never;
    /** Edit my message */
    patch: operations["chat-edit"];
    trace?: never;
  };
  "/messages/{messageId}/reactions": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Toggle my reaction with an emoji */
    post: operations["chat-react"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/messages/{parentId}/thread": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A thread's parent and a page of its replies */
    get: operations["chat-thread"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/search": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Search messages and file names (the search box's grammar in `q`) */
    get: operations["search-messages"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/usage": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Usage against the plan's limits this month */
    get: operations["ui-limits"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/workspace": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The workspace: plan, limits, features */
    get: operations["tenant-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    BillingStatus: {
      cancelAtPeriodEnd: boolean;
      currentPeriodEnd: string | null;
      currentPeriodStart: string | null;
      hasSubscription: boolean;
      /** @enum {string} */
      interval: "month" | "year";
      /** @description Owners only (null otherwise, or before any payment). */
      lastPayment: {
        amount: number | null;
        date: string | null;
        status: string | null;
      } | null;
      limits: components["schemas"]["Limits"];
      /** @enum {string} */
      mode: "stripe" | "offline";
      /** @description Owners only: an upgrade Stripe holds until its invoice is paid (the plan above stays until then). */
      pendingChange: {
        /** Format: date-time */
        expiresAt: string;
        /** @enum {string} */
        interval: "month" | "year";
        invoiceUrl: string | null;
        /** @enum {string} */
        plan: "free" | "pro" | "enterprise" | "custom";
        planName: string;
      } | null;
      /** @enum {string} */
      plan: "free" | "pro" | "enterprise" | "custom";
      planName: string;
      plans: {
        available: boolean;
        current: boolean;
        /** @enum {string} */
        id: "free" | "pro" | "enterprise" | "custom";
        name: string;
        price: {
          month: number | null;
          year: number | null;
        };
      }[];
      /** @description Plan features this platform has off: not offered, whatever the plan says. */
      platformOff: (
        | "directMessages"
        | "reactions"
        | "fileUploads"
        | "threads"
        | "privateChannels"
        | "customBranding"
        | "customDomains"
        | "apiAccess"
        | "analytics"
        | "integrations"
        | "sso"
        | "auditLogs"
        | "prioritySupport"
      )[];
      /** @enum {string} */
      status: "trial" | "active" | "past_due" | "suspended" | "cancelled" | "deleted";
      trialEndsAt: string | null;
    };
    Channel: {
      archivedAt: string | null;
      /** Format: date-time */
      createdAt: string;
      createdBy: string | null;
      description: string | null;
      /** @description DMs only: everyone in it. */
      dmMembers: components["schemas"]["UserRef"][] | null;
      /** Format: uuid */
      id: string;
      isDefault: boolean;
      /** @description Whether the caller is a member of the channel. */
      isMember: boolean;
      /** @enum {string} */
      kind: "public" | "private" | "dm";
      lastMessageAt: string | null;
      memberCount: number;
      /** @description "owner" or "member" in the channel; null when not a member. */
      myRole: string | null;
      /** @description For DMs: the other people's names. */
      name: string;
      topic: string | null;
      /** Format: date-time */
      updatedAt: string;
    };
    ChannelMember: {
      avatarUrl: string | null;
      /** @description "owner" or "member". */
      channelRole: string;
      /** Format: uuid */
      id: string;
      /** Format: date-time */
      joinedAt: string;
      name: string;
      /**
       * @description Role in the workspace.
       * @enum {string}
       */
      role: "owner" | "admin" | "member" | "guest";
    };
    Error: {
      /** @description tRPC's JSON-RPC error code (-32600, -32001, …). */
      code: number;
      data: {
        /**
         * @description The platform's stable error code: match on this.
         * @enum {string}
         */
        appCode:
          | "VALIDATION_FAILED"
          | "SLUG_INVALID"
          | "SLUG_RESERVED"
          | "UNAUTHORIZED"
          | "PAYMENT_REQUIRED"
          | "FORBIDDEN"
          | "FEATURE_NOT_IN_PLAN"
          | "TENANT_SUSPENDED"
          | "TWO_FACTOR_REQUIRED"
          | "NOT_FOUND"
          | "TENANT_NOT_FOUND"
          | "SLUG_TAKEN"
          | "CONFLICT"
          | "LIMIT_EXCEEDED"
          | "RATE_LIMITED"
          | "INTERNAL"
          | "UNAVAILABLE";
        /** @description tRPC's error code (BAD_REQUEST, UNAUTHORIZED, …). */
        code?: string;
        details?: {
          [key: string]: unknown;
        };
        /** @description VALIDATION_FAILED: every refused field, by its path in the input. */
        fields?: {
          message: string;
          path: string;
        }[];
        httpStatus: number;
        /** @description The procedure that answered. */
        path?: string | null;
      };
      /** @description Human-readable; never a stack or SQL. */
      message: string;
    };
    File: {
      /** Format: uuid */
      channelId: string;
      contentType: string;
      /** Format: date-time */
      createdAt: string;
      fileName: string;
      /** Format: uuid */
      id: string;
      messageId: number | null;
      sizeBytes: number;
      uploaderId: string | null;
    };
    Invitation: {
      /** Format: date-time */
      createdAt: string;
      email: string;
      /** Format: date-time */
      expiresAt: string;
      /** Format: uuid */
      id: string;
      invitedBy: string | null;
      /** @enum {string} */
      role: "admin" | "member" | "guest";
    };
    /** @description Resource limits of the plan; -1 is unlimited. */
    Limits: {
      apiCallsPerMonth: number;
      channels: number;
      maxUploadMb: number;
      requestsPerHour?: number;
      requestsPerMinute?: number;
      storageGb: number;
      users: number;
    };
    Member: {
      /** Format: date-time */
      createdAt: string;
      email: string;
      /** Format: uuid */
      id: string;
      lastSeenAt: string | null;
      name: string;
      /** @enum {string} */
      role: "owner" | "admin" | "member" | "guest";
      twoFactor: boolean;
    };
    Message: {
      attachments: {
        contentType: string;
        fileName: string;
        /** Format: uuid */
        id: string;
        sizeBytes: number;
      }[];
      author: components["schemas"]["UserRef"] | null;
      /** @description Plain text with markdown syntax, never HTML; "" once deleted. */
      body: string;
      /** Format: uuid */
      channelId: string;
      /** Format: date-time */
      createdAt: string;
      deletedAt: string | null;
      editedAt: string | null;
      id: number;
      lastReplyAt: string | null;
      /** @description Thread replies: the message replied to. */
      parentId: number | null;
      reactions: components["schemas"]["Reaction"][];
      replyCount: number;
    };
    /** @description Messages in ascending id order. */
    MessagePage: {
      hasNewer: boolean;
      hasOlder: boolean;
      messages: components["schemas"]["Message"][];
    };
    Ok: {
      /** @constant */
      ok: true;
    };
    Reaction: {
      count: number;
      emoji: string;
      /** @description Whether the caller reacted with this emoji. */
      me: boolean;
      userIds: string[];
    };
    SearchHit: {
      author: {
        /** Format: uuid */
        id: string;
        name: string;
      } | null;
      channel: {
        archived: boolean;
        /** Format: uuid */
        id: string;
        /** @enum {string} */
        kind: "public" | "private" | "dm";
        /** @description For DMs: the other people's names. */
        name: string;
      };
      /** Format: date-time */
      createdAt: string;
      editedAt: string | null;
      files: {
        fileName: string;
        /** Format: uuid */
        id: string;
        match: boolean;
      }[];
      id: number;
      /** @description Where the web app shows the message (a path on this host). */
      link: string;
      /** @description The thread's first message, for a reply. */
      parentId: number | null;
      /** @description The matching part of the body as text pieces; `match` marks what matched. */
      snippet: {
        match: boolean;
        text: string;
      }[];
    };
    SearchPage: {
      /** @description Pass as `cursor` for the next page; null on the last one. */
      nextCursor: number | null;
      results: components["schemas"]["SearchHit"][];
    };
    /** @description The thread's parent and its replies in ascending id order. */
    ThreadPage: {
      hasNewer: boolean;
      hasOlder: boolean;
      messages: components["schemas"]["Message"][];
      parent: components["schemas"]["Message"];
    };
    Usage: {
      items: {
        /** @description -1: unlimited. */
        limit: number;
        remaining: number | null;
        /** @enum {string} */
        resource: "users" | "channels" | "storage" | "api_calls_month";
        /** @enum {string} */
        state: "ok" | "approaching" | "reached" | "over";
        /** @description Storage in bytes; users include pending invitations. */
        used: number;
      }[];
      /** @description Largest file; null: unlimited. */
      maxUploadBytes: number | null;
      /** @enum {string} */
      plan: "free" | "pro" | "enterprise" | "custom";
    };
    UserRef: {
      /** Format: uuid */
      id: string;
      name: string;
    };
    Workspace: {
      /** @enum {string} */
      billingInterval: "month" | "year";
      branding: {
        appName?: string;
        logoUrl?: string;
        primaryColor?: string;
        secondaryColor?: string;
      };
      cancelAtPeriodEnd: boolean;
      /** Format: date-time */
      createdAt: string;
      currentPeriodEnd: string | null;
      /** @description Plan features: directMessages, reactions, fileUploads, threads, privateChannels, customBranding, customDomains, apiAccess, analytics, integrations, sso, auditLogs, prioritySupport. */
      features: {
        [key: string]: boolean;
      };
      /** Format: uuid */
      id: string;
      limits: components["schemas"]["Limits"];
      name: string;
      /** @enum {string} */
      plan: "free" | "pro" | "enterprise" | "custom";
      slug: string;
      /** @enum {string} */
      status: "trial" | "active" | "past_due" | "suspended" | "cancelled" | "deleted";
      trialEndsAt: string | null;
    };
  };
  responses: {
    /** @description VALIDATION_FAILED: the input was refused (`data.fields` says where). */
    Error400: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description UNAUTHORIZED: no API key, or an invalid or revoked one for this workspace. */
    Error401: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description PAYMENT_REQUIRED: the workspace's trial ended or its payment is due. */
    Error402: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description FORBIDDEN (a read key on a mutation, the key's role lacks the permission), FEATURE_NOT_IN_PLAN, LIMIT_EXCEEDED, TENANT_SUSPENDED. */
    Error403: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description NOT_FOUND: no such resource in this workspace (or not visible to the key). */
    Error404: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description CONFLICT. */
    Error409: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description RATE_LIMITED: the request quota is spent. */
    Error429: {
      headers: {
        /** @description Seconds to wait before trying again. */
        "Retry-After"?: number;
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description INTERNAL. */
    Error500: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description UNAVAILABLE: try again later. */
    Error503: {
      headers: {
        /** @description Seconds to wait before trying again. */
        "Retry-After"?: number;
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  "billing-status": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["BillingStatus"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-channels": {
    parameters: {
      query?: {
        includeArchived?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            channels: components["schemas"]["Channel"][];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-createChannel": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          description?: string | null;
          /** @enum {string} */
          kind?: "public" | "private";
          memberIds?: string[];
          name: string;
          topic?: string | null;
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-channel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-updateChannel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          description?: string | null;
          name?: string;
          topic?: string | null;
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-archiveChannel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-joinChannel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-leaveChannel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Ok"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-channelMembers": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            members: components["schemas"]["ChannelMember"][];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-addMembers": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          userIds: string[];
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            added: string[];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-removeMember": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
        userId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Ok"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-list": {
    parameters: {
      query?: {
        after?: number;
        around?: number;
        before?: number;
        limit?: number;
      };
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["MessagePage"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-send": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          attachmentIds?: string[];
          body: string;
          parentId?: number | null;
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Message"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-unarchiveChannel": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        channelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Channel"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "attachments-get": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["File"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "members-list": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Open invitations; empty unless the caller may invite. */
            invitations: components["schemas"]["Invitation"][];
            members: components["schemas"]["Member"][];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "members-remove": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        userId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Ok"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "members-changeRole": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        userId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /** @enum {string} */
          role: "admin" | "member" | "guest";
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            member: components["schemas"]["Member"];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "members-invite": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          email: string;
          /** @enum {string} */
          role: "admin" | "member" | "guest";
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The link the invitee opens. */
            acceptUrl: string;
            invitation: components["schemas"]["Invitation"];
            token: string;
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-delete": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        messageId: number;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Ok"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-edit": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        messageId: number;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          body: string;
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Message"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-react": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        messageId: number;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          emoji: string;
        };
      };
    };
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description true: the reaction was added; false: removed. */
            reacted: boolean;
            reactions: components["schemas"]["Reaction"][];
          };
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "chat-thread": {
    parameters: {
      query?: {
        after?: number;
        before?: number;
        limit?: number;
      };
      header?: never;
      path: {
        parentId: number;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ThreadPage"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "search-messages": {
    parameters: {
      query: {
        cursor?: number;
        limit?: number;
        q: string;
        sort?: "newest" | "best";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SearchPage"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "ui-limits": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Usage"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
  "tenant-get": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Successful response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Workspace"];
        };
      };
      400: components["responses"]["Error400"];
      401: components["responses"]["Error401"];
      402: components["responses"]["Error402"];
      403: components["responses"]["Error403"];
      404: components["responses"]["Error404"];
      409: components["responses"]["Error409"];
      429: components["responses"]["Error429"];
      500: components["responses"]["Error500"];
      503: components["responses"]["Error503"];
    };
  };
}
