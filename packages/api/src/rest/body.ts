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
