import { FEATURE_LABELS, PLAN_LABELS } from "@nchat/protocol/plans";

export {
  formatBytes,
  formatGigabytes,
  formatLimitValue,
  formatMegabytes,
  formatNumber,
} from "@nchat/ui/format";

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const money = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const dateFmt = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});
const dateTimeFmt = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
  timeZone: "UTC",
});
const monthFmt = new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
const longMonthFmt = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });

export const formatCompact = (n: number) => compact.format(n);
/** Cents → "$1,234". */
export const formatMoney = (cents: number) => money.format(cents / 100);
export const formatDate = (d: Date | string | null | undefined) => (d ? dateFmt.format(new Date(d)) : "—");
/** In UTC, labelled as such. */
export const formatDateTime = (d: Date | string | null | undefined) =>
  d ? `${dateTimeFmt.format(new Date(d))} UTC` : "—";
/** "2026-11" → "Nov 2026" (never "Nov 26", which reads as a day). */
export const formatPeriod = (period: string) => monthFmt.format(new Date(`${period}-01T00:00:00Z`));
/** "2026-12" → "December 2026". */
export const formatPeriodLong = (period: string) => longMonthFmt.format(new Date(`${period}-01T00:00:00Z`));

export function formatRelative(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return "—";
  const diff = (new Date(d).getTime() - now) / 1000;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  if (abs < 60) return rtf.format(Math.round(diff), "second");
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 86_400 * 45) return rtf.format(Math.round(diff / 86_400), "day");
  return formatDate(d);
}

/** Plan and feature names as the server and the workspace app spell them (@nchat/protocol). */
export const PLAN_LABEL: Record<string, string> = PLAN_LABELS;
export const FEATURE_LABEL: Record<string, string> = FEATURE_LABELS;

export const STATUS_LABEL: Record<string, string> = {
  trial: "Trial",
  active: "Active",
  past_due: "Past due",
  suspended: "Suspended",
  cancelled: "Cancelled",
  deleted: "Deleted",
};

export const RESOURCE_LABEL: Record<string, string> = {
  users: "Members",
  channels: "Channels",
  storage: "Storage",
  api_calls_month: "API calls this month",
};
