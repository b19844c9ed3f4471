import { z } from "zod";

/** What creating an API key takes — validated by the server and checked by the browser's form. */

export const API_KEY_SCOPES = ["read", "write", "admin"] as const;
/**
 * `read`: queries only; `write`: queries and mutations with a member's permissions; `admin`: also
 * what a workspace admin may do (members: invite, change roles, remove) — never what only the owner
 * may, and only while the person who created the key is still an owner or admin.
 */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** How the scopes are named and explained wherever a person picks or reads one. */
export const API_KEY_SCOPE_LABELS: Record<ApiKeyScope, { label: string; description: string }> = {
  read: { label: "Read", description: "Queries only" },
  write: { label: "Read and write", description: "Can also send messages and make changes" },
  admin: {
    label: "Admin",
    description: "Can also invite, change roles and remove members — as an admin, never as the owner",
  },
};

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, "Give the key a name.").max(100, "A key name has at most 100 characters."),
  scope: z.enum(API_KEY_SCOPES, { error: "The scope is read, write or admin." }),
});
export type CreateApiKeyRequest = z.output<typeof createApiKeyInput>;
export type CreateApiKeyFormValues = z.input<typeof createApiKeyInput>;
