import { type ClientRequest, request as httpRequest } from "node:http";

/** One dispatched server-sent event. `id` is the last event id after it (as EventSource keeps it). */
export type SseEvent = { event: string; data: string; id: string | null };

/**
 * An incremental parser of the event stream format (WHATWG HTML, "server-sent events"): feed it
 * decoded text as it arrives; complete events come out. Lines end in LF, CRLF or CR; `data` lines
 * join with LF; an `id` (without NUL) sets the last event id, also when no event is dispatched.
 */
export class SseParser {
  lastEventId: string | null = null;
  private buffer = "";
  private data: string[] = [];
  private type = "";

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string) {
    if (line === "") {
      if (this.data.length > 0)
        this.onEvent({ event: this.type || "message", data: this.data.join("\n"), id: this.lastEventId });
      this.data = [];
      this.type = "";
      return;
    }
    if (line.startsWith(":")) return; // a comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
  }
}

export type SseTarget = {
  port: number;
  /** Path and query of the stream, given the last event id to resume after (null at first). */
  path(lastEventId: string | null): string;
  headers: Record<string, string>;
};

/**
 * An event stream held open like a browser's EventSource: when it ends or fails it connects again
 * (to `target(attempt)`, so a load balancer may pick another server) sending `Last-Event-ID`, and
 * counts the reconnects.
 */
export class SseClient {
  reconnects = 0;
  /** Why streams ended (other than `close()`), by kind. */
  readonly drops = new Map<string, number>();
  private req?: ClientRequest;
  private closed = false;
  private attempt = 0;
  private readonly parser: SseParser;

  constructor(
    private readonly target: (attempt: number) => SseTarget,
    onEvent: (e: SseEvent) => void,
  ) {
    this.parser = new SseParser(onEvent);
  }

  get lastEventId(): string | null {
    return this.parser.lastEventId;
  }

  open(): void {
    if (this.closed) return;
    const t = this.target(this.attempt);
    const lastEventId = this.parser.lastEventId;
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: t.port,
        agent: false,
        method: "GET",
        path: t.path(lastEventId),
        headers: {
          ...t.headers,
          accept: "text/event-stream",
          "cache-control": "no-cache",
          ...(lastEventId ? { "last-event-id": lastEventId } : {}),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          this.dropped(req, `status ${res.statusCode}`);
          return;
        }
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => this.parser.push(chunk));
        res.on("end", () => this.dropped(req, "ended by the server"));
        res.on("error", () => this.dropped(req, "connection error"));
      },
    );
    req.on("error", () => this.dropped(req, "connection error"));
    req.end();
    this.req = req;
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }

  private dropped(req: ClientRequest, why: string) {
    if (this.closed || this.req !== req) return; // closed, or this request was handled already
    this.req = undefined;
    req.destroy();
    this.drops.set(why, (this.drops.get(why) ?? 0) + 1);
    this.reconnects++;
    this.attempt++;
    // EventSource waits a few seconds by default; a short delay (with jitter) keeps the test brisk.
    setTimeout(() => this.open(), 200 + Math.random() * 300).unref();
  }
}
