import { type Logger, type RequestFields, requestIdFrom, runRequest } from "./log";
import { recordRequest } from "./metrics";

/** The calls one HTTP request made (a tRPC batch has several), with the status of each. */
export type ServedCall = { procedure: string; status: number };

export type ObservedRequest = {
  log: Logger;
  app: string;
  request: Request;
  /** The REST route ("GET /api/tenants/:id"); tRPC reports its calls through `calls` instead. */
  route?: string;
};

/** Filled in by the handler: the calls it served (tRPC), whether the response is an event stream. */
export type RequestReport = { calls?: ServedCall[]; stream?: boolean };

/** The response with `name: value` set (responses of `fetch` have immutable headers: copied then). */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

/**
 * Serves one request as a unit the logs and metrics can see: a request id (the inbound
 * `x-request-id` when it is a sane token, else a new one; returned in `x-request-id`), log lines
 * within carry it and, once known, the tenant and user; at the end one line — request id, app,
 * method, procedure, status, duration, tenant, user — and the request counter and latency histogram.
 */
export async function observeRequest(
  o: ObservedRequest,
  handler: (report: RequestReport) => Promise<Response>,
): Promise<Response> {
  const started = performance.now();
  const fields: RequestFields = { reqId: requestIdFrom(o.request.headers), app: o.app };
  const report: RequestReport = {};
  let response: Response | undefined;
  let failure: unknown;
  try {
    response = await runRequest(fields, () => handler(report));
  } catch (err) {
    failure = err;
  }
  const seconds = (performance.now() - started) / 1000;
  const status = response?.status ?? 500;
  const calls = report.calls?.length ? report.calls : [{ procedure: o.route ?? "unknown", status }];
  for (const c of calls) recordRequest(o.app, c.procedure, c.status, seconds);
  const line = {
    reqId: fields.reqId,
    app: o.app,
    method: o.request.method,
    procedure: calls.map((c) => c.procedure).join(","),
    status,
    ...(calls.length > 1 ? { statuses: calls.map((c) => c.status) } : {}),
    durationMs: Math.round(seconds * 10_000) / 10,
    tenantId: fields.tenantId ?? null,
    userId: fields.userId ?? null,
    ...(report.stream ? { stream: true } : {}),
    ...(failure ? { err: failure } : {}),
  };
  if (status >= 500) o.log.warn(line, "request");
  else o.log.info(line, "request");
  if (!response) throw failure;
  return withHeader(response, "x-request-id", fields.reqId);
}
