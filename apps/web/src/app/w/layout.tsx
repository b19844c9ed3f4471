import type { Metadata } from "next";
import type { CSSProperties, ReactNode } from "react";
import { Providers } from "@/components/providers";
import { TenantProvider } from "@/components/tenant";
import { brandingStyle } from "@/lib/color";
import { requireTenant } from "@/server/tenant";

export async function generateMetadata(): Promise<Metadata> {
  const tenant = await requireTenant();
  const app = tenant.branding.appName ?? tenant.name;
  return { title: { default: app, template: `%s · ${app}` } };
}

/**
 * Every page of a tenant host: the tenant's branding applied to the whole UI through CSS variables
 * (white-label), the tRPC client, and the tenant as the proxy resolved it.
 */
export default async function TenantLayout({ children }: Readonly<{ children: ReactNode }>) {
  const tenant = await requireTenant();
  const style = brandingStyle(tenant.branding) as CSSProperties;
  return (
    <div className="tenant-root" style={style}>
      <Providers tenantHost>
        <TenantProvider
          tenant={{
            id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
            status: tenant.status,
            plan: tenant.plan,
            branding: tenant.branding,
          }}
        >
          {children}
        </TenantProvider>
      </Providers>
    </div>
  );
}
