/** A safe in-app path for `next=` redirects: same host, absolute path, never "//host" or a scheme. */
export function safeNext(raw: string | string[] | undefined | null, fallback = "/"): string {
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v?.startsWith("/") || v.startsWith("//") || v.startsWith("/\\")) return fallback;
  if (/^\/(login|invite)(\/|\?|$)/.test(v)) return fallback;
  return v;
}
