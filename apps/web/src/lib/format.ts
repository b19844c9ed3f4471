/** Display formatting shared by the pages. */

import { formatNumber } from "@nchat/ui/format";

export {
  formatBytes,
  formatGigabytes,
  formatLimitValue,
  formatMegabytes,
  formatNumber,
} from "@nchat/ui/format";

/** A plan limit for people: -1 (unlimited) reads "Unlimited", never "-1". */
export const formatLimit = (n: number) => (n < 0 ? "Unlimited" : formatNumber(n));

export function formatDate(d: Date | string | null | undefined): string {
  if (!d) return "—";
  return new Date(d).toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}

export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  return new Date(d).toLocaleString("en-US", {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  });
}

export function formatTime(d: Date | string): string {
  return new Date(d).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
}

export function relativeTime(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return "never";
  const diff = Math.round((new Date(d).getTime() - now) / 1000);
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 30 * 86_400) return rtf.format(Math.round(diff / 86_400), "day");
  return formatDate(d);
}

/** "Today", "Yesterday" or the date: message list day dividers. */
export function dayLabel(d: Date | string, now = new Date()): string {
  const date = new Date(d);
  const start = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((start(now) - start(date)) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return date.toLocaleDateString("en-US", {
    weekday: "long",
    month: "long",
    day: "numeric",
    ...(date.getFullYear() !== now.getFullYear() ? { year: "numeric" } : {}),
  });
}

export function formatMoney(cents: number | null, currency = "USD"): string {
  if (cents === null) return "Contact us";
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
    maximumFractionDigits: cents % 100 === 0 ? 0 : 2,
  }).format(cents / 100);
}

export const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
