import { z } from "zod";

/** What creating an API key takes — validated by the server and checked by the browser's form. */

export const API_KEY_SCOPES = ["read", "write"] as const;
/** `read`: queries only; `write`: queries and mutations (within the service user's role). */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, "Give the key a name.").max(100, "A key name has at most 100 characters."),
  scope: z.enum(API_KEY_SCOPES, { error: "The scope is read or write." }),
});
export type CreateApiKeyRequest = z.output<typeof createApiKeyInput>;
export type CreateApiKeyFormValues = z.input<typeof createApiKeyInput>;
