import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { ERROR_STATUS } from "../errors";
import { appRouter } from "../root";

/** Where the public REST API lives on a tenant's host. */
export const PUBLIC_API_BASE = "/api/v1";
export const PUBLIC_API_VERSION = "1.0.0";

const ERROR_CODES = Object.keys(ERROR_STATUS);

/** The error body of every failed call: the platform's error contract, as tRPC answers it. */
const errorSchema = {
  type: "object",
  required: ["message", "code", "data"],
  properties: {
    message: { type: "string", description: "Human-readable; never a stack or SQL." },
    code: { type: "integer", description: "tRPC's JSON-RPC error code (-32600, -32001, …)." },
    data: {
      type: "object",
      required: ["appCode", "httpStatus"],
      properties: {
        appCode: {
          type: "string",
          enum: ERROR_CODES,
          description: "The platform's stable error code: match on this.",
        },
        httpStatus: { type: "integer" },
        code: { type: "string", description: "tRPC's error code (BAD_REQUEST, UNAUTHORIZED, …)." },
        path: { type: ["string", "null"], description: "The procedure that answered." },
        details: { type: "object", additionalProperties: true },
        fields: {
          type: "array",
          description: "VALIDATION_FAILED: every refused field, by its path in the input.",
          items: {
            type: "object",
            required: ["path", "message"],
            properties: { path: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
  },
} as const;

const retryAfter = {
  description: "Seconds to wait before trying again.",
  schema: { type: "integer", minimum: 1 },
};

const ERROR_RESPONSES: Record<string, { description: string; headers?: Record<string, typeof retryAfter> }> =
  {
    "400": { description: "VALIDATION_FAILED: the input was refused (`data.fields` says where)." },
    "401": { description: "UNAUTHORIZED: no API key, or an invalid or revoked one for this workspace." },
    "402": { description: "PAYMENT_REQUIRED: the workspace's trial ended or its payment is due." },
    "403": {
      description:
        "FORBIDDEN (a read key on a mutation, the key's role lacks the permission), FEATURE_NOT_IN_PLAN, LIMIT_EXCEEDED, TENANT_SUSPENDED.",
    },
    "404": { description: "NOT_FOUND: no such resource in this workspace (or not visible to the key)." },
    "409": { description: "CONFLICT." },
    "429": {
      description: "RATE_LIMITED: the request quota is spent.",
      headers: { "Retry-After": retryAfter },
    },
    "500": { description: "INTERNAL." },
    "503": { description: "UNAVAILABLE: try again later.", headers: { "Retry-After": retryAfter } },
  };

const DESCRIPTION = `The workspace's public API: channels, messages, members, the workspace and its plan, files.

**Authentication**: \`Authorization: Bearer nck_…\`, an API key of this workspace (Settings → API keys).
Session cookies are not accepted here. A key of another workspace is 401.

**Scopes**: a \`read\` key may call GET operations only (anything else is 403 FORBIDDEN); a \`write\` key may
call every operation. A key acts as its own service user, with a member's permissions.

**Limits**: every call spends the workspace's per-minute and per-hour request quota (its plan) and counts as
an API call in the monthly usage. Refused calls answer 429 with \`Retry-After\`; \`RateLimit-*\` headers
say what is left.

**Errors**: \`{ message, code, data: { appCode, httpStatus, fields?, details? } }\`; \`data.appCode\` is
stable (VALIDATION_FAILED, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, RATE_LIMITED, …).`;

let base: OpenAPIObject | undefined;

/** The document without its server (built once per process: the procedures do not change). */
function baseDocument(): OpenAPIObject {
  if (base) return base;
  const doc = generateOpenApiDocument(appRouter, {
    title: "nchat API",
    version: PUBLIC_API_VERSION,
    description: DESCRIPTION,
    baseUrl: PUBLIC_API_BASE,
    securitySchemes: {
      apiKey: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "nck_…",
        description: "An API key of the workspace: `Authorization: Bearer nck_…`.",
      },
    },
    tags: ["Channels", "Messages", "Members", "Workspace", "Files"],
  });
  // One error schema and the platform's error responses instead of the generator's generic ones.
  doc.components ??= {};
  const schemas = Object.entries(doc.components.schemas ?? {}).filter(([name]) => !name.startsWith("error."));
  doc.components.schemas = { ...Object.fromEntries(schemas), Error: errorSchema as never };
  doc.components.responses = Object.fromEntries<never>(
    Object.entries(ERROR_RESPONSES).map(([status, r]) => [
      `Error${status}`,
      { ...r, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } as never,
    ]),
  );
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ["get", "post", "patch", "put", "delete"] as const) {
      const op = item[method];
      if (!op) continue;
      const ok = op.responses?.["200"];
      op.responses = {
        "200": ok,
        ...Object.fromEntries(
          Object.keys(ERROR_RESPONSES).map((s) => [s, { $ref: `#/components/responses/Error${s}` }]),
        ),
      };
    }
  }
  base = doc;
  return doc;
}

/** The OpenAPI 3.1 document, its server on `origin` (the tenant's host the request came to). */
export function openApiDocument(origin?: string): OpenAPIObject {
  const doc = baseDocument();
  return { ...doc, servers: [{ url: origin ? `${origin}${PUBLIC_API_BASE}` : PUBLIC_API_BASE }] };
}
