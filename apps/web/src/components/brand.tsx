import type { TenantInfo } from "./tenant";

/** The workspace's logo (branding.logoUrl) or its initial on the brand colour, and its app name. */
export function TenantBrand({
  tenant,
  size = "md",
}: {
  tenant: Pick<TenantInfo, "name" | "branding">;
  size?: "md" | "lg";
}) {
  const appName = tenant.branding.appName ?? tenant.name;
  return (
    <span className={`tenant-brand tenant-brand-${size}`}>
      {tenant.branding.logoUrl ? (
        // biome-ignore lint/performance/noImgElement: tenant logos are arbitrary external URLs
        <img className="tenant-logo" src={tenant.branding.logoUrl} alt="" referrerPolicy="no-referrer" />
      ) : (
        <span className="tenant-logo tenant-logo-initial" aria-hidden="true">
          {appName.trim().charAt(0).toUpperCase() || "W"}
        </span>
      )}
      <span className="tenant-name">{appName}</span>
    </span>
  );
}
