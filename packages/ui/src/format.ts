/**
 * Formatting that both apps show the same way: numbers, sizes (1,024 MB is "1 GB" everywhere) and
 * plan limits (-1 reads "Unlimited", never "-1").
 */

const numberFormat = new Intl.NumberFormat("en-US");

export const formatNumber = (n: number) => numberFormat.format(n);

/** Bytes in the largest unit below 1,024: "1 GB", "1.5 GB", "100 GB" (never "1.0 GB" or "1,024 MB"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB", "PB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** Plan sizes in the units usage is shown in. -1: "Unlimited". */
export const formatMegabytes = (mb: number) =>
  mb < 0 ? "Unlimited" : formatBytes(Math.round(mb * 1024 * 1024));
export const formatGigabytes = (gb: number) =>
  gb < 0 ? "Unlimited" : formatBytes(Math.round(gb * 1024 * 1024 * 1024));

/** The limit fields of a plan (TenantLimits), in GB/MB where sized. */
const SIZE_LIMITS: Record<string, (n: number) => string> = {
  storageGb: formatGigabytes,
  maxUploadMb: formatMegabytes,
};
const LIMIT_KEYS = new Set(["users", "channels", "storageGb", "apiCallsPerMonth", "maxUploadMb"]);

/** A plan limit field's value (audit entries): "Unlimited" for -1, sizes with units; null if not one. */
export function formatLimitValue(key: string, v: unknown): string | null {
  if (!LIMIT_KEYS.has(key) || typeof v !== "number") return null;
  if (v < 0) return "Unlimited";
  return SIZE_LIMITS[key]?.(v) ?? formatNumber(v);
}
