import type { CSSProperties, ReactNode } from "react";
import { requireTenant } from "@/server/tenant";

/** Every page of a tenant host: the tenant's branding applied through CSS variables. */
export default async function TenantLayout({ children }: Readonly<{ children: ReactNode }>) {
  const tenant = await requireTenant();
  const style = {
    ...(tenant.branding.primaryColor ? { "--brand-primary": tenant.branding.primaryColor } : {}),
    ...(tenant.branding.secondaryColor ? { "--brand-secondary": tenant.branding.secondaryColor } : {}),
  } as CSSProperties;
  return (
    <div className="tenant-shell" style={style}>
      <header className="site-header">
        <span className="brand">{tenant.branding.appName ?? tenant.name}</span>
      </header>
      {children}
    </div>
  );
}
