import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { type AnyProcedure, getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { forEachOpenApiProcedure, getPathRegExp, normalizePath, unwrapZodType } from "trpc-to-openapi";
import type { z } from "zod";
import { AppError, asAppError, ERROR_STATUS, retryAfterHeader } from "../errors";
import { observeRequest } from "../infra/observe";
import { readJsonBody } from "../rest/body";
import { appRouter, createCaller } from "../root";
import type { Services } from "../server";
import { type Context, createContext } from "../trpc";
import { openApiDocument, PUBLIC_API_BASE } from "./document";
import { renderReference } from "./reference";

/**
 * The public REST API, generated from the procedures that carry `meta.openapi` (trpc-to-openapi
 * describes them; this file serves them):
 *
 *   GET  /api/v1/openapi.json   the OpenAPI 3.1 document (servers: this host)
 *   GET  /api/v1/docs           a reference page rendered from it
 *   *    /api/v1/<operation>    one procedure, called through `createCaller`: the same middleware
 *                               chain as tRPC (tenant and status, API key and scope, rate limits,
 *                               usage metering, permissions, input validation, output schema)
 *
 * Programs only: the request's cookies are dropped before the context is built, so a session
 * cannot authorize anything here (no CSRF); `Authorization: Bearer nck_…` does. Inputs: path
 * parameters, then the query string (GET/DELETE) or the JSON body (POST/PATCH/PUT); path parameters
 * win. Query values are converted to the numbers and booleans the schema expects (strictly: "1",
 * "true", "false"), without changing the shared schemas. Errors are the tRPC error shape
 * (`data.appCode`, `data.fields`), with the HTTP status of the code and `Retry-After` on 429/503.
 *
 * Not trpc-to-openapi's own fetch adapter: it builds its router cache per request, and coerces
 * query values by setting `coerce` on the procedures' (shared) zod schemas — which also changes
 * what tRPC accepts, and turns `?flag=false` into `true`.
 */

type Operation = {
  method: string;
  /** "/channels/{channelId}" */
  template: string;
  regexp: RegExp;
  /** "chat.channel" */
  path: string;
  type: "query" | "mutation";
  procedure: AnyProcedure;
};

let operations: Operation[] | undefined;

function allOperations(): Operation[] {
  if (operations) return operations;
  const found: Operation[] = [];
  forEachOpenApiProcedure(appRouter._def.procedures as never, ({ path, type, procedure, meta }) => {
    if (type === "subscription") return;
    const template = normalizePath(meta.openapi.path);
    found.push({
      method: meta.openapi.method,
      template,
      regexp: getPathRegExp(template),
      path,
      type,
      procedure: procedure as unknown as AnyProcedure,
    });
  });
  operations = found;
  return found;
}

function findOperation(method: string, subpath: string) {
  const path = normalizePath(subpath);
  const candidates = allOperations().filter((o) => o.regexp.test(path));
  const op = candidates.find((o) => o.method === method);
  if (!op) return { op: null, methodKnown: candidates.length > 0 } as const;
  const params = op.regexp.exec(path)?.groups ?? {};
  return { op, params, methodKnown: true } as const;
}

// ─── Input ─────────────────────────────────────────────────────────────────────────────────────────

type AnyZod = z.ZodType & { _zod: { def: { type: string; element?: AnyZod } } };

function inputSchema(procedure: AnyProcedure): AnyZod | null {
  const inputs = (procedure._def as { inputs?: unknown[] }).inputs ?? [];
  if (inputs.length === 0) return null;
  return unwrapZodType(inputs[0] as never, true) as unknown as AnyZod;
}

/** The field's schema without optional / nullable / default wrappers. */
const fieldType = (schema: AnyZod | undefined): AnyZod | undefined =>
  schema ? (unwrapZodType(schema as never, false) as unknown as AnyZod) : undefined;

/** A text value (path or query) as the type the schema wants; left as text when it is not one. */
function convert(raw: string, schema: AnyZod | undefined): unknown {
  switch (fieldType(schema)?._zod.def.type) {
    case "number":
      return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    case "boolean":
      return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
    default:
      return raw;
  }
}

function shapeOf(schema: AnyZod | null): Record<string, AnyZod> {
  return ((schema as unknown as { shape?: Record<string, AnyZod> } | null)?.shape ?? {}) as Record<
    string,
    AnyZod
  >;
}

function queryInput(url: URL, shape: Record<string, AnyZod>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    const field = fieldType(shape[key]);
    if (field?._zod.def.type === "array") input[key] = values.map((v) => convert(v, field._zod.def.element));
    else input[key] = convert(values[values.length - 1] ?? "", shape[key]);
  }
  return input;
}

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request, { optional: true });
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new AppError("VALIDATION_FAILED", "The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

// ─── Responses ─────────────────────────────────────────────────────────────────────────────────────

const TRPC_CODE_BY_STATUS: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  402: "PAYMENT_REQUIRED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

/** Anything thrown, as the TRPCError tRPC would answer with (AppErrors keep their code's status). */
function asTrpcError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  const app = asAppError(err);
  if (app)
    return new TRPCError({
      code: TRPC_CODE_BY_STATUS[ERROR_STATUS[app.code]] ?? "INTERNAL_SERVER_ERROR",
      message: app.message,
      cause: app,
    });
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: "Internal server error",
    cause: err instanceof Error ? err : undefined,
  });
}

function json(body: unknown, status: number, headers: Headers): Response {
  headers.set("content-type", "application/json");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  return new Response(JSON.stringify(body), { status, headers });
}

/** This request's origin, for the document's server URL. */
function originOf(services: Services, request: Request): string {
  const host = request.headers.get("host") ?? new URL(request.url).host;
  const proto =
    services.env.NODE_ENV === "production"
      ? "https"
      : (request.headers.get("x-forwarded-proto") ?? new URL(request.url).protocol.replace(":", ""));
  return `${proto}://${host}`;
}

const NO_KEY = "Send an API key of this workspace: Authorization: Bearer nck_…";
const hasApiKey = (request: Request) => /^bearer\s+nck_/i.test(request.headers.get("authorization") ?? "");

// ─── The handler ───────────────────────────────────────────────────────────────────────────────────

/** A Next.js route handler for `/api/v1/[...path]` (every method). Logged and counted per operation. */
export function publicApiHandler(services: Services, request: Request): Promise<Response> {
  const url = new URL(request.url);
  // HEAD is GET without the body (Next.js answers HEAD with the GET handler and drops the body).
  const method = request.method.toUpperCase() === "HEAD" ? "GET" : request.method.toUpperCase();
  const subpath = url.pathname.startsWith(PUBLIC_API_BASE)
    ? url.pathname.slice(PUBLIC_API_BASE.length)
    : url.pathname;
  const found = findOperation(method, subpath);
  const route = found.op
    ? `${method} ${PUBLIC_API_BASE}${found.op.template}`
    : ["/openapi.json", "/docs"].includes(normalizePath(subpath))
      ? `${method} ${PUBLIC_API_BASE}${normalizePath(subpath)}`
      : `${PUBLIC_API_BASE} unknown`;
  return observeRequest({ log: services.log, app: "web", request, route }, async () => {
    const path = normalizePath(subpath);
    if (method === "GET" && path === "/openapi.json") {
      return Response.json(openApiDocument(originOf(services, request)), {
        headers: { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
      });
    }
    if (method === "GET" && path === "/docs") {
      return new Response(renderReference(openApiDocument(originOf(services, request))), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "public, max-age=300",
          "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (!found.op) {
      const status = found.methodKnown ? 405 : 404;
      const error = new TRPCError({
        code: found.methodKnown ? "METHOD_NOT_SUPPORTED" : "NOT_FOUND",
        message: found.methodKnown ? `${method} is not supported here.` : "No such operation.",
      });
      const shape = getErrorShape({
        config: appRouter._def._config,
        error,
        type: "unknown",
        path: undefined,
        input: undefined,
        ctx: undefined,
      });
      if (found.methodKnown) {
        return json(
          { ...shape, data: { ...shape.data, appCode: "VALIDATION_FAILED", httpStatus: 405 } },
          status,
          new Headers(),
        );
      }
      return json(shape, status, new Headers());
    }
    return callOperation(services, request, url, found.op, found.params);
  });
}

async function callOperation(
  services: Services,
  request: Request,
  url: URL,
  op: Operation,
  params: Record<string, string>,
): Promise<Response> {
  const resHeaders = new Headers();
  let ctx: Context | undefined;
  let input: unknown;
  try {
    // Only an API key authenticates here: a browser's session cookie is never seen by the chain.
    const headers = new Headers(request.headers);
    headers.delete("cookie");
    ctx = await createContext({ services, headers, resHeaders, app: "web" });
    const schema = inputSchema(op.procedure);
    if (schema) {
      const shape = shapeOf(schema);
      const fromPath = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, convert(v, shape[k])]));
      const rest =
        op.method === "GET" || op.method === "DELETE" ? queryInput(url, shape) : await jsonBody(request);
      input = { ...rest, ...fromPath };
    }
    const caller = createCaller(ctx) as unknown as Record<string, unknown>;
    const fn = op.path
      .split(".")
      .reduce<unknown>((acc, key) => (acc as Record<string, unknown>)[key], caller) as (
      input: unknown,
    ) => Promise<unknown>;
    const data = await fn(input);
    return json(data ?? null, 200, resHeaders);
  } catch (err) {
    const error = asTrpcError(err);
    const app = asAppError(error.cause);
    if (error.code === "INTERNAL_SERVER_ERROR" && !app)
      services.log.error({ err: error.cause ?? error, procedure: op.path }, `REST ${op.path} failed`);
    const shape = getErrorShape({
      config: appRouter._def._config,
      error,
      type: op.type,
      path: op.path,
      input,
      ctx,
    });
    // Without a key the chain says "Sign in to continue." (its words for browsers): say what works here.
    if (app?.code === "UNAUTHORIZED" && !hasApiKey(request)) shape.message = NO_KEY;
    const status = app ? app.status : getHTTPStatusCodeFromError(error);
    for (const [k, v] of Object.entries(app ? retryAfterHeader(app) : {})) resHeaders.set(k, v);
    if (status === 429 && !resHeaders.has("retry-after")) {
      const seconds = Number(app?.details?.retryAfter) || 1;
      resHeaders.set("retry-after", String(Math.max(1, Math.ceil(seconds))));
    }
    return json(shape, status, resHeaders);
  }
}
