import type { Lifecycle } from "../lifecycle";

/**
 * Event streams of a draining process. A stream that simply stops leaves the client stranded: tRPC
 * ends a finished subscription with `event: return`, after which its client closes the EventSource
 * for good. Instead the response ends without it, after an SSE `retry:` field: the browser's
 * EventSource reconnects by itself after that many milliseconds (jittered, so a process's streams
 * do not all come back at once), sending `Last-Event-ID` — the stream resumes on another process
 * (the load balancer no longer picks this one: readiness says draining) from the last event seen.
 */

/** Reconnect hint in ms: 1–3 s, spread. */
export const reconnectDelayMs = () => 1_000 + Math.floor(Math.random() * 2_000);

const encoder = new TextEncoder();
const retryField = (ms: number) => encoder.encode(`retry: ${ms}\n\n`);

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
};

export const isEventStreamRequest = (request: Request) =>
  request.method === "GET" && (request.headers.get("accept") ?? "").includes("text/event-stream");

export const isEventStreamResponse = (response: Response) =>
  (response.headers.get("content-type") ?? "").startsWith("text/event-stream");

/** The answer to a stream opened while draining: only the hint to come back (elsewhere). */
export function reconnectElsewhere(retryMs = reconnectDelayMs()): Response {
  return new Response(retryField(retryMs), { status: 200, headers: SSE_HEADERS });
}

/**
 * The event stream `response`, ended with a `retry:` hint when the process starts draining — between
 * two events, never inside one (at most `maxWaitMs` later). Ending it cancels the source, which
 * aborts the subscription (its `finally` runs: unsubscribe, presence offline).
 */
export function endOnDrain(
  response: Response,
  lifecycle: Pick<Lifecycle, "onDrain">,
  opts: { retryMs?: () => number; maxWaitMs?: number } = {},
): Response {
  const source = response.body;
  if (!source) return response;
  const reader = source.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let endRequested = false;
  /** The last two bytes passed on: an event ends with a blank line ("\n\n"). */
  let tail = [0x0a, 0x0a];
  let fallback: NodeJS.Timeout | undefined;

  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(fallback);
    unregister();
    try {
      controller.enqueue(retryField((opts.retryMs ?? reconnectDelayMs)()));
      controller.close();
    } catch {
      // the client left meanwhile
    }
    reader.cancel().catch(() => {});
  };
  const atBoundary = () => tail[0] === 0x0a && tail[1] === 0x0a;
  const unregister = lifecycle.onDrain(() => {
    if (atBoundary()) return end();
    endRequested = true;
    fallback = setTimeout(end, opts.maxWaitMs ?? 1_000);
  });

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      if (ended) return;
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (ended) return;
        ended = true;
        unregister();
        c.error(err);
        return;
      }
      if (ended) return;
      if (chunk.done) {
        ended = true;
        clearTimeout(fallback);
        unregister();
        c.close();
        return;
      }
      const bytes = chunk.value;
      c.enqueue(bytes);
      if (bytes.length >= 2) tail = [bytes[bytes.length - 2]!, bytes[bytes.length - 1]!];
      else if (bytes.length === 1) tail = [tail[1]!, bytes[0]!];
      if (endRequested && atBoundary()) end();
    },
    cancel(reason) {
      ended = true;
      clearTimeout(fallback);
      unregister();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
