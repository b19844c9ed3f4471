import "server-only";
import { createCaller, createContext } from "@nchat/api";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getServices } from "./services";

/** Set by proxy.ts: the path (and query) the browser asked for, to come back to after sign-in. */
export const PATH_HEADER = "x-admin-path";

/** The tRPC router called in-process, as this request (its cookies), on the admin app. */
export async function serverCaller() {
  const services = await getServices();
  return createCaller(await createContext({ services, headers: await headers(), app: "admin" }));
}

/** The signed-in super admin, or null (adminAuth.me answered UNAUTHORIZED). */
export async function currentAdmin() {
  try {
    return (await (await serverCaller()).adminAuth.me()).admin;
  } catch (err) {
    // By code, not `instanceof`: the error class may come from another bundle's copy of tRPC.
    if ((err as { code?: unknown } | null)?.code === "UNAUTHORIZED") return null;
    throw err;
  }
}

/** A path inside this app only (never `//host` or an absolute URL). */
export function safeNext(path: string | null | undefined): string {
  if (!path?.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return "/";
  return path;
}

/** The super admin of this request, or a redirect to the sign-in page (coming back here after). */
export async function requireAdmin() {
  const admin = await currentAdmin();
  if (!admin) {
    const here = safeNext((await headers()).get(PATH_HEADER));
    redirect(here === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(here)}`);
  }
  return admin;
}
