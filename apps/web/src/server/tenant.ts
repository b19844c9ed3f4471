import "server-only";
import { type ResolvedTenant, readTenantHeaders } from "@nchat/api";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { getServices } from "./services";

/** The tenant of this request, as resolved and signed by the proxy; null when there is none. */
export async function currentTenant(): Promise<ResolvedTenant | null> {
  // Read the request first: it makes every tenant page dynamic (never prerendered at build time).
  const requestHeaders = await headers();
  const services = await getServices();
  return readTenantHeaders(requestHeaders, services.contextKey);
}

/** The tenant of this request, or the 404 page. */
export async function requireTenant(): Promise<ResolvedTenant> {
  const tenant = await currentTenant();
  if (!tenant) notFound();
  return tenant;
}
