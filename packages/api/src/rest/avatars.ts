import { AVATAR_MAX_BYTES } from "@nchat/protocol/profile";
import { AppError } from "../errors";
import { observeRequest } from "../infra/observe";
import { AVATAR_CONTENT_TYPE, type AvatarSize, avatarTooLarge } from "../profile/avatar-image";
import { profileServices } from "../profile/services";
import type { Services } from "../server";
import { requestMeta } from "../trpc";
import { authenticate } from "./attachments";
import { readBodyLimited } from "./body";
import { errorResponse, handle } from "./respond";

/**
 * Profile pictures over REST (raw bytes):
 *
 *   POST /api/profile/avatar
 *        body: the image (PNG, JPEG, WebP or GIF; at most AVATAR_MAX_BYTES), Content-Length
 *        required. → 200 the profile ({ avatarUrl, … }). 413 LIMIT_EXCEEDED (resource
 *        "avatar_size") when bigger — the body is read no further; 415 VALIDATION_FAILED (reason
 *        "not_an_image") when the bytes are no such image, whatever Content-Type says.
 *   GET  /api/avatars/:userId?size=thumb|full (default full)
 *        → 200 image/webp, a square of 64 or 256 px. Signed-in people of the same workspace only:
 *        401 without a session of this host, 404 for no such person or no picture. 304 for a
 *        matching If-None-Match (the session still checked).
 *
 * Both on the tenant's host with the session cookie; POST only from the same origin.
 */

export const uploadAvatarRoute = (services: Services, request: Request): Promise<Response> =>
  observeRequest({ log: services.log, app: "web", request, route: "POST /api/profile/avatar" }, () =>
    uploadAvatar(services, request),
  );

export const avatarRoute = (services: Services, request: Request, userId: string): Promise<Response> =>
  observeRequest({ log: services.log, app: "web", request, route: "GET /api/avatars/:userId" }, () =>
    downloadAvatar(services, request, userId),
  );

const SIZES: Record<string, AvatarSize> = { full: "full", thumb: "thumb", "256": "full", "64": "thumb" };

function uploadAvatar(services: Services, request: Request): Promise<Response> {
  return handle(async () => {
    if (request.method.toUpperCase() !== "POST")
      return errorResponse("VALIDATION_FAILED", "Use POST.", { status: 405 });
    const { tenant, user, resHeaders } = await authenticate(services, request, true, "rest.profile.avatar");
    try {
      const declared = request.headers.get("content-length");
      if (declared === null || !/^\d+$/.test(declared))
        return errorResponse("VALIDATION_FAILED", "Send the image with a Content-Length.", { status: 411 });
      if (Number(declared) > AVATAR_MAX_BYTES) throw avatarTooLarge();
      const bytes = await readBodyLimited(request, AVATAR_MAX_BYTES, avatarTooLarge);
      if (bytes.length !== Number(declared))
        return errorResponse("VALIDATION_FAILED", "The upload was incomplete. Try again.", { status: 400 });
      if (bytes.length === 0) throw new AppError("VALIDATION_FAILED", "The file is empty.");
      const meta = requestMeta(request.headers);
      const profile = await profileServices(services).profile.setAvatar(
        tenant,
        {
          type: "user",
          id: user.id,
          email: user.email,
          role: user.role,
          ip: meta.ip ?? undefined,
          userAgent: meta.userAgent ?? undefined,
        },
        bytes,
      );
      resHeaders.set("cache-control", "no-store");
      return Response.json(profile, { status: 200, headers: resHeaders });
    } catch (err) {
      if (err instanceof AppError && err.code === "LIMIT_EXCEEDED" && err.details?.resource === "avatar_size")
        return errorResponse(err.code, err.message, { status: 413, details: err.details });
      if (err instanceof AppError && err.details?.reason === "not_an_image")
        return errorResponse(err.code, err.message, { status: 415, details: err.details });
      throw err;
    }
  });
}

function downloadAvatar(services: Services, request: Request, userId: string): Promise<Response> {
  return handle(async () => {
    if (request.method.toUpperCase() !== "GET")
      return errorResponse("VALIDATION_FAILED", "Use GET.", { status: 405 });
    const { tenant } = await authenticate(services, request, false);
    const size = SIZES[new URL(request.url).searchParams.get("size") ?? "full"];
    if (!size) throw new AppError("VALIDATION_FAILED", "size is thumb or full.");
    const profiles = profileServices(services).profile;
    const common = {
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-cache",
      "cross-origin-resource-policy": "same-origin",
      "content-security-policy": "default-src 'none'; sandbox",
    };
    const asked = request.headers.get("if-none-match");
    if (asked) {
      const etag = await profiles.avatarTag(tenant, userId, size);
      if (etag !== null && asked === etag)
        return new Response(null, { status: 304, headers: { ...common, etag } });
    }
    const file = await profiles.avatar(tenant, userId, size);
    return new Response(new Uint8Array(file.bytes), {
      status: 200,
      headers: {
        ...common,
        etag: file.etag,
        "content-type": AVATAR_CONTENT_TYPE,
        "content-length": String(file.bytes.length),
      },
    });
  });
}
