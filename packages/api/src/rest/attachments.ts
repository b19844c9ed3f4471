import { uploadInput } from "../attachments/attachment-service";
import { contentDisposition } from "../attachments/file-name";
import { mustEnrolTwoFactor, type SessionUser } from "../auth/auth-service";
import { readCookie, SESSION_COOKIE } from "../auth/cookies";
import { AppError, parseInput } from "../errors";
import { annotateRequest } from "../infra/log";
import { observeRequest } from "../infra/observe";
import { requireFeature } from "../limits/features";
import { anonymousChecks, memberChecks } from "../ratelimit/policies";
import { assertSameOrigin } from "../same-origin";
import type { Services } from "../server";
import type { ResolvedTenant } from "../tenancy/resolver";
import { assertStatusAllows } from "../tenancy/status-policy";
import { createContext, enforceRateLimit } from "../trpc";
import { readBodyLimited } from "./body";
import { errorResponse, handle } from "./respond";

/**
 * Files over REST (their bodies are raw bytes, which JSON tRPC does not carry well):
 *
 *   POST /api/attachments?channelId=<uuid>
 *        body: the file's bytes; Content-Type: its type; X-File-Name: its name (percent-encoded
 *        UTF-8); Content-Length required. → 201 { id, channelId, messageId, uploaderId, fileName,
 *        contentType, sizeBytes, createdAt }. 413 when bigger than the plan allows (the body is
 *        read no further than that), 403 LIMIT_EXCEEDED when storage is full, FEATURE_NOT_IN_PLAN.
 *   GET  /api/attachments/:id
 *        → 200 the file. Verified images and PDFs inline with their type; anything else as a
 *        download (application/octet-stream, Content-Disposition: attachment). Always
 *        X-Content-Type-Options: nosniff. 304 for a matching If-None-Match (access rechecked).
 *
 * Both on the tenant's host with the session cookie (as tRPC); POST only from the same origin.
 * Errors: { "error": { "code", "message" } }; a file the user cannot see is 404 like a missing one.
 */

/**
 * A REST request of a signed-in person of this host's tenant (session cookie): status rules, same
 * origin and rate limits for writes, the anonymous budget for failed credentials, second factor where
 * required. Shared by the file and avatar routes.
 */
export async function authenticate(
  services: Services,
  request: Request,
  write: boolean,
  usageName = "rest.attachments.upload",
): Promise<{ tenant: ResolvedTenant; user: SessionUser; resHeaders: Headers }> {
  const resHeaders = new Headers();
  const ctx = await createContext({ services, headers: request.headers, resHeaders, app: "web" });
  const tenant = ctx.tenant;
  // Uploads are writes, downloads reads, in the status table (tenancy/status-policy.ts).
  assertStatusAllows(tenant, write ? "write" : "read");
  if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No workspace at this address.");
  if (write) assertSameOrigin(request.headers);
  const session = await services.auth.session(tenant, readCookie(request.headers, SESSION_COOKIE));
  if (!session) {
    // As over tRPC: failed credentials spend the client address's anonymous budget on this host
    // (guessing is bounded per address), never the tenant's quota.
    await enforceRateLimit({ services, resHeaders }, anonymousChecks(tenant.id, ctx.meta.ip));
    throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  }
  annotateRequest({ userId: session.user.id });
  if (mustEnrolTwoFactor(session))
    throw new AppError("TWO_FACTOR_REQUIRED", "This workspace requires two-factor authentication.");
  if (write) {
    await enforceRateLimit({ services, resHeaders }, memberChecks(tenant, session.user.id));
    services.usage.record(tenant, {}, usageName);
    if (!session.user.isService) void services.usage.activeUser(tenant, session.user.id);
  }
  return { tenant, user: session.user, resHeaders };
}

/** A file bigger than the plan allows (`max` bytes). */
export const uploadTooLarge = (max: number) =>
  new AppError("LIMIT_EXCEEDED", `Files can be at most ${max} bytes on your plan.`, {
    resource: "upload_size",
    maxBytes: max,
  });

function decodeFileName(raw: string | null): string {
  if (!raw) return "file";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A file bigger than the plan allows: 413 (Payload Too Large) rather than LIMIT_EXCEEDED's usual 403. */
const isTooLarge = (err: unknown): err is AppError =>
  err instanceof AppError && err.code === "LIMIT_EXCEEDED" && err.details?.resource === "upload_size";

/** Logged and counted (see observeRequest). */
export const uploadAttachmentRoute = (services: Services, request: Request): Promise<Response> =>
  observeRequest({ log: services.log, app: "web", request, route: "POST /api/attachments" }, () =>
    uploadAttachment(services, request),
  );

export const downloadAttachmentRoute = (
  services: Services,
  request: Request,
  id: string,
): Promise<Response> =>
  observeRequest({ log: services.log, app: "web", request, route: "GET /api/attachments/:id" }, () =>
    downloadAttachment(services, request, id),
  );

function uploadAttachment(services: Services, request: Request): Promise<Response> {
  return handle(async () => {
    if (request.method.toUpperCase() !== "POST")
      return errorResponse("VALIDATION_FAILED", "Use POST.", { status: 405 });
    const { tenant, user, resHeaders } = await authenticate(services, request, true);
    requireFeature(tenant.features, "fileUploads"); // before reading any of the body
    const channelId = new URL(request.url).searchParams.get("channelId") ?? "";
    try {
      const max = await services.attachments.maxUploadBytes(tenant);
      const declared = request.headers.get("content-length");
      if (declared === null || !/^\d+$/.test(declared)) {
        return errorResponse("VALIDATION_FAILED", "Send the file with a Content-Length.", { status: 411 });
      }
      if (Number(declared) > max) throw uploadTooLarge(max);
      const bytes = await readBodyLimited(request, max, () => uploadTooLarge(max));
      // A proxy in front may cut a body short (Next.js buffers at most proxyClientMaxBodySize):
      // never store a truncated file.
      if (bytes.length !== Number(declared)) {
        return errorResponse("VALIDATION_FAILED", "The upload was incomplete. Try again.", { status: 400 });
      }
      const upload = parseInput(uploadInput, {
        channelId,
        fileName: decodeFileName(request.headers.get("x-file-name")),
        contentType: request.headers.get("content-type"),
        bytes,
      });
      const attachment = await services.attachments.upload(tenant, user, upload);
      resHeaders.set("cache-control", "no-store");
      return Response.json(attachment, { status: 201, headers: resHeaders });
    } catch (err) {
      if (isTooLarge(err)) return errorResponse(err.code, err.message, { status: 413, details: err.details });
      throw err;
    }
  });
}

function downloadAttachment(services: Services, request: Request, id: string): Promise<Response> {
  return handle(async () => {
    const method = request.method.toUpperCase();
    if (method !== "GET") return errorResponse("VALIDATION_FAILED", "Use GET.", { status: 405 });
    const { tenant, user } = await authenticate(services, request, false);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
      throw new AppError("NOT_FOUND", "No such file.");
    const etag = `"${id.toLowerCase()}"`;
    const common = {
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-cache",
      "cross-origin-resource-policy": "same-origin",
      etag,
    };
    if (request.headers.get("if-none-match") === etag) {
      await services.attachments.get(tenant, user, id); // still allowed to see it?
      return new Response(null, { status: 304, headers: common });
    }
    const file = await services.attachments.download(tenant, user, id);
    const { fileName, contentType } = file.attachment;
    const headers = new Headers({
      ...common,
      "content-type": file.inline ? contentType : "application/octet-stream",
      "content-length": String(file.bytes.length),
      "content-disposition": contentDisposition(file.inline ? "inline" : "attachment", fileName),
    });
    // No scripts, forms or plugins in anything we serve (PDFs keep the browser's viewer).
    if (contentType !== "application/pdf")
      headers.set("content-security-policy", "default-src 'none'; sandbox");
    return new Response(new Uint8Array(file.bytes), { status: 200, headers });
  });
}
