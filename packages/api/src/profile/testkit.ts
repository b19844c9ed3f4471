import sharp from "sharp";
import { SESSION_COOKIE } from "../auth/cookies";
import { avatarRoute, uploadAvatarRoute } from "../rest/avatars";
import type { Services } from "../server";
import type { TestClient } from "../testing";

/** A real image: a `width`×`height` gradient-free colour block, as PNG or JPEG (with EXIF if asked). */
export async function picture(
  format: "png" | "jpeg",
  opts: { width?: number; height?: number; exif?: boolean } = {},
): Promise<Buffer> {
  const img = sharp({
    create: {
      width: opts.width ?? 400,
      height: opts.height ?? 300,
      channels: 3,
      background: { r: 200, g: 40, b: 90 },
    },
  });
  if (format === "png") return img.png().toBuffer();
  const jpeg = img.jpeg();
  return (
    opts.exif
      ? jpeg.withExif({ IFD0: { Make: "SecretCam", Model: "GPS-9000", Artist: "Jane at 52.52N 13.40E" } })
      : jpeg
  ).toBuffer();
}

const cookieOf = (c: TestClient) => {
  const v = c.cookies.get(SESSION_COOKIE);
  return v ? `${SESSION_COOKIE}=${v}` : null;
};

/** POST /api/profile/avatar as this browser (its cookie, its address, same origin). */
export function uploadAvatar(
  services: Services,
  client: TestClient,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  const h = new Headers({
    host: client.host,
    origin: `http://${client.host}`,
    "x-nchat-client-address": client.ip,
    "content-type": "application/octet-stream",
    "content-length": String(body.length),
    ...headers,
  });
  const cookie = cookieOf(client);
  if (cookie) h.set("cookie", cookie);
  return uploadAvatarRoute(
    services,
    new Request(`http://${client.host}/api/profile/avatar`, {
      method: "POST",
      headers: h,
      body: new Uint8Array(body),
      duplex: "half",
    } as RequestInit),
  );
}

/** GET /api/avatars/:userId as this browser, on `host` (default: its own). */
export function fetchAvatar(
  services: Services,
  client: TestClient,
  userId: string,
  opts: { size?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const host = opts.host ?? client.host;
  const h = new Headers({ host, "x-nchat-client-address": client.ip, ...opts.headers });
  const cookie = cookieOf(client);
  if (cookie) h.set("cookie", cookie);
  const query = opts.size ? `?size=${opts.size}` : "";
  return avatarRoute(
    services,
    new Request(`http://${host}/api/avatars/${userId}${query}`, { headers: h }),
    userId,
  );
}
