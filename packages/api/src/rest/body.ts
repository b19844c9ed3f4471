import { AppError } from "../errors";

/**
 * A request body read to at most `max` bytes: one byte more and the read stops (the rest is never
 * buffered) with the caller's error — a plan's upload limit, or a JSON body's bound.
 */
export async function readBodyLimited(request: Request, max: number, tooLarge: () => Error): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** The most a JSON body of a route handler may hold. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/**
 * A JSON request body, read to at most MAX_JSON_BODY_BYTES: VALIDATION_FAILED without
 * `Content-Type: application/json`, for text that is not JSON, or beyond the bound. An empty body is
 * `undefined` when `optional`; otherwise it needs the content type like any other.
 */
export async function readJsonBody(request: Request, opts: { optional?: boolean } = {}): Promise<unknown> {
  const text = (
    await readBodyLimited(
      request,
      MAX_JSON_BODY_BYTES,
      () =>
        new AppError("VALIDATION_FAILED", `The request body can be at most ${MAX_JSON_BODY_BYTES} bytes.`),
    )
  ).toString("utf8");
  if (opts.optional && text.trim() === "") return undefined;
  if (!(request.headers.get("content-type") ?? "").toLowerCase().includes("application/json"))
    throw new AppError("VALIDATION_FAILED", "Send a JSON body (Content-Type: application/json).");
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("VALIDATION_FAILED", "The request body is not valid JSON.");
  }
}
