import { AppError } from "../errors";

/** Types recognised from their first bytes. */
export type SniffedType =
  | "image/png"
  | "image/jpeg"
  | "image/gif"
  | "image/webp"
  | "application/pdf"
  | "application/zip";

const startsWith = (b: Uint8Array, sig: number[], at = 0) =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The type the bytes are, for the common types with a signature; null for anything else. */
export function sniff(bytes: Uint8Array): SniffedType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  if (startsWith(bytes, ascii("%PDF-"))) return "application/pdf";
  if (
    startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) ||
    startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]) ||
    startsWith(bytes, [0x50, 0x4b, 0x07, 0x08])
  )
    return "application/zip";
  return null;
}

/** Types served inline (shown in the page). All of them are verified against their bytes on upload. */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
]);

const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "application/x-pdf": "application/pdf",
  "application/x-zip-compressed": "application/zip",
};

const TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,99}$/;

/** `type/subtype` in lower case without parameters; null when empty; VALIDATION_FAILED when malformed. */
export function normalizeContentType(declared: string | null | undefined): string | null {
  const bare = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  if (!bare) return null;
  if (!TOKEN.test(bare)) throw new AppError("VALIDATION_FAILED", "The file's content type is not valid.");
  return ALIASES[bare] ?? bare;
}

/**
 * The content type to store for an upload. A declared PNG/JPEG/GIF/WebP/PDF must be one (a file
 * that claims to be an image but is not is refused); no or a generic declaration takes what the
 * bytes are. Other declared types are kept as they are — they are only ever served as downloads.
 */
export function resolveContentType(declared: string | null | undefined, bytes: Uint8Array): string {
  const type = normalizeContentType(declared);
  const actual = sniff(bytes);
  if (type === null || type === "application/octet-stream") return actual ?? "application/octet-stream";
  if (INLINE_TYPES.has(type) && actual !== type) {
    throw new AppError("VALIDATION_FAILED", `The file is not a valid ${type} file.`, {
      declared: type,
      detected: actual,
    });
  }
  return type;
}
