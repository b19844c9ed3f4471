import type { Actor } from "../../audit/actor";
import type { Services } from "../../server";
import { PlatformService } from "../platform-service";

/** The super admin of the request, as recorded in audit entries. */
export const adminActor = (ctx: {
  admin: { id: string; email: string };
  meta: { ip: string | null; userAgent: string | null };
}): Actor => ({
  type: "super_admin",
  id: ctx.admin.id,
  email: ctx.admin.email,
  ip: ctx.meta.ip ?? undefined,
  userAgent: ctx.meta.userAgent ?? undefined,
});

const cache = new WeakMap<Services, PlatformService>();

/** The platform service over the request's services (one per services object). */
export function platform(services: Services): PlatformService {
  let p = cache.get(services);
  if (!p) {
    p = new PlatformService(services);
    cache.set(services, p);
  }
  return p;
}
