import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { checkTarget, refusalReason, type TargetPolicy } from "./ssrf";

/**
 * One HTTP request of an outgoing webhook: signed per the Standard Webhooks specification
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`), sent to the address the SSRF check
 * approved (the socket's lookup answers with it: no second DNS query), redirects not followed,
 * bounded in time and in what is kept of the response.
 */

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the form `standardwebhooks` reads). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The `webhook-signature` header: one `v1,<base64>` per secret, space-separated. During a rotation's
 * overlap both the new and the previous secret sign, so a receiver holding either verifies.
 */
export function signatureHeader(secrets: string[], msgId: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(msgId, at, body)).join(" ");
}

export const REQUEST_BODY_LOG_LIMIT = 8 * 1024;
export const RESPONSE_BODY_LOG_LIMIT = 4 * 1024;

export type Attempt = {
  /** delivered (2xx), failed (anything else: status, timeout, network, refused target). */
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** The first RESPONSE_BODY_LOG_LIMIT bytes of the response body (text). */
  responseBody: string | null;
  /** Why it failed, in a line: `http 500`, `timeout`, `refused: private_address`, `ECONNREFUSED`. */
  error: string | null;
};

export type SendOptions = {
  url: string;
  msgId: string;
  at: Date;
  body: string;
  secrets: string[];
  timeoutMs: number;
  policy: TargetPolicy;
};

export async function sendWebhook(o: SendOptions): Promise<Attempt> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    target = await checkTarget(o.url, o.policy);
  } catch (err) {
    const reason = refusalReason(err);
    return {
      ok: false,
      statusCode: null,
      durationMs: elapsed(),
      responseBody: null,
      error: reason ? `refused: ${reason}` : "refused",
    };
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else callback(null, target.address, target.family);
  };
  const headers = {
    "content-type": "application/json",
    "user-agent": "nchat-webhooks/1",
    "webhook-id": o.msgId,
    "webhook-timestamp": String(Math.floor(o.at.getTime() / 1000)),
    "webhook-signature": signatureHeader(o.secrets, o.msgId, o.at, o.body),
  };
  const client = target.url.protocol === "https:" ? https : http;
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const finish = (a: Omit<Attempt, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...a, durationMs: elapsed() });
    };
    const req = client.request(
      target.url,
      {
        method: "POST",
        headers,
        lookup: pinned,
        // never reuse a connection made for another check
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on("data", (c: Buffer) => {
          if (kept < RESPONSE_BODY_LOG_LIMIT) {
            chunks.push(c.subarray(0, RESPONSE_BODY_LOG_LIMIT - kept));
            kept += Math.min(c.length, RESPONSE_BODY_LOG_LIMIT - kept);
          }
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          finish({
            ok,
            statusCode: status,
            responseBody: Buffer.concat(chunks).toString("utf8"),
            // a redirect is not followed: it is a failure the tenant sees in the log
            error: ok
              ? null
              : status >= 300 && status < 400
                ? `redirect ${status} not followed`
                : `http ${status}`,
          });
        });
        res.on("error", (err) =>
          finish({
            ok: false,
            statusCode: res.statusCode ?? null,
            responseBody: null,
            error: errorLine(err),
          }),
        );
      },
    );
    // The whole exchange (connect, send, response) within the timeout.
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, responseBody: null, error: "timeout" });
      req.destroy();
    }, o.timeoutMs);
    req.on("error", (err) =>
      finish({ ok: false, statusCode: null, responseBody: null, error: errorLine(err) }),
    );
    req.end(o.body);
  });
}

function errorLine(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return (e.code ?? String(e.message ?? err).split("\n")[0]!).slice(0, 200);
}
