import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/**
 * Next.js's own signals between its proxy (middleware) and its router: `x-middleware-rewrite`,
 * `-next`, `-refresh`, `-redirect`, `-set-cookie`, `-override-headers`, `-request-*`. None is meant
 * for the browser (the App Router's client reads `x-nextjs-rewritten-path/-query` on RSC requests,
 * never these), yet Next.js 16 copies `x-middleware-rewrite` (the internal path a page was rewritten
 * to, e.g. `/w/login`) onto every response its proxy rewrote, and no setting turns that off:
 * `headers()` in next.config can add headers, not remove them, and the proxy cannot drop the header
 * that *is* its rewrite. So the Node server in front of Next.js removes them on the way out.
 */
export function isInternalHeader(name: string): boolean {
  return name.toLowerCase().startsWith("x-middleware-");
}

type WriteHead = ServerResponse["writeHead"];
type HeadersArg = OutgoingHttpHeaders | (string | number | string[])[] | [string, string][] | undefined;

function withoutInternal(headers: HeadersArg): HeadersArg {
  if (!headers) return headers;
  if (!Array.isArray(headers))
    return Object.fromEntries(Object.entries(headers).filter(([name]) => !isInternalHeader(name)));
  if (headers.length > 0 && Array.isArray(headers[0])) {
    return (headers as [string, string][]).filter(([name]) => !isInternalHeader(String(name)));
  }
  // A flat list: name, value, name, value, …
  const flat = headers as (string | number | string[])[];
  const kept: (string | number | string[])[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (!isInternalHeader(String(flat[i]))) kept.push(flat[i]!, flat[i + 1]!);
  }
  return kept;
}

/**
 * Keeps Next.js's internal headers (isInternalHeader) off this response, whichever way they were set
 * (`setHeader`, `appendHeader`, `setHeaders` or `writeHead`'s own argument). Every path that sends
 * the head goes through `writeHead` (an implicit head too: Node calls `this.writeHead`), so that is
 * where they are removed. Call it first thing for each request, before Next.js sees the response.
 */
export function hideInternalHeaders(res: ServerResponse): void {
  const writeHead: WriteHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (!this.headersSent) {
      for (const name of this.getHeaderNames()) if (isInternalHeader(name)) this.removeHeader(name);
    }
    // writeHead(status, headers?) or writeHead(status, reason, headers?)
    const at = typeof rest[0] === "string" ? 1 : 0;
    if (rest.length > at) rest[at] = withoutInternal(rest[at] as HeadersArg);
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as WriteHead;
}
