import "server-only";
import { createCaller, createContext } from "@nchat/api";
import { headers } from "next/headers";
import { getServices } from "./services";

/** The tRPC router called in-process from a server component, as this request (cookies, tenant). */
export async function serverCaller() {
  const services = await getServices();
  const ctx = await createContext({ services, headers: await headers(), app: "web" });
  return createCaller(ctx);
}

/** The browser path of this request (set by proxy.ts; tenant pages are rewritten under /w). */
export async function requestPath(): Promise<string> {
  const path = (await headers()).get(PATH_HEADER) ?? "/";
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}

export const PATH_HEADER = "x-nchat-path";
