/** Longest stored file name, in characters. */
export const MAX_FILE_NAME = 200;

/**
 * A file name safe to store and show: the last path segment only, no control or invisible
 * formatting characters (bidi overrides that disguise `exe.pdf`), whitespace collapsed, at most
 * 200 characters (keeping the extension). Never empty.
 */
export function sanitizeFileName(raw: string): string {
  let name = raw.normalize("NFC");
  name = name.split(/[\\/]/).pop() ?? "";
  name = name.replace(/[\p{Cc}\p{Cf}]/gu, "");
  name = name.replace(/\s+/g, " ").trim();
  if (/^\.+$/.test(name)) name = "";
  const chars = Array.from(name);
  if (chars.length > MAX_FILE_NAME) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
    const keep = ext.length > 0 && ext.length <= 20 ? ext : [];
    name =
      chars
        .slice(0, MAX_FILE_NAME - keep.length)
        .join("")
        .trimEnd() + keep.join("");
  }
  return name || "file";
}

/** `Content-Disposition` for a stored name: an ASCII fallback plus the exact name (RFC 6266/5987). */
export function contentDisposition(kind: "inline" | "attachment", fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const exact = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
