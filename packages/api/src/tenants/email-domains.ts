import type { TenantTx } from "@nchat/db";
import { tenantSettings } from "@nchat/db/public";
import { eq } from "drizzle-orm";
import { AppError } from "../errors";

/**
 * "Allowed email domains" (tenant_settings.allowed_email_domains): while the list is not empty, an
 * address joins the workspace only when its domain is one of them (exactly: `example.com` does not
 * admit `mail.example.com`). It gates every way an address comes in: an invitation (created, resent
 * and accepted — also one sent before the list was set) and a member's change of address (asked
 * for and confirmed). People already in the workspace keep their access.
 */
export const emailDomainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase();

export function emailDomainNotAllowed(domains: readonly string[], field?: string): AppError {
  const message = `Only addresses at ${domains.join(", ")} can join this workspace. An owner can change the allowed email domains in Settings → Security.`;
  return field
    ? new AppError("VALIDATION_FAILED", message, {
        reason: "email_domain_not_allowed",
        fields: [{ path: field, message }],
      })
    : new AppError("FORBIDDEN", message, { reason: "email_domain_not_allowed" });
}

/**
 * Refuses `email` when the tenant limits addresses to domains it is not in (read in the caller's
 * transaction). `field`: the form field that holds the address (a field error), else FORBIDDEN.
 */
export async function assertEmailDomainAllowed(
  db: TenantTx["db"],
  tenantId: string,
  email: string,
  field?: string,
): Promise<void> {
  const [s] = await db
    .select({ domains: tenantSettings.allowedEmailDomains })
    .from(tenantSettings)
    .where(eq(tenantSettings.tenantId, tenantId));
  const domains = s?.domains ?? [];
  if (domains.length > 0 && !domains.includes(emailDomainOf(email)))
    throw emailDomainNotAllowed(domains, field);
}
