/**
 * What the API key procedures accept — validated once, at the procedure. The create schema (and its
 * scopes) is shared with the browser's form: @nchat/protocol holds it, with no server code.
 */
import {
  API_KEY_SCOPE_LABELS,
  API_KEY_SCOPES,
  type ApiKeyScope,
  type CreateApiKeyRequest,
  createApiKeyInput,
} from "@nchat/protocol/api-keys";
import { z } from "zod";

export {
  API_KEY_SCOPE_LABELS,
  API_KEY_SCOPES,
  type ApiKeyScope,
  type CreateApiKeyRequest,
  createApiKeyInput,
};

/** A key's id: only bounded here; one that is no key of this workspace is NOT_FOUND (the service). */
export const apiKeyIdInput = z.object({ id: z.string().max(100) });
