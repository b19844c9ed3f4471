import { createHash } from "node:crypto";
import type { RedisClient } from "../infra/redis";

/**
 * @upstash/ratelimit speaks to an Upstash REST client; this makes an ioredis client look like one
 * for the calls it makes: evalsha / eval (with key and arg arrays), get, set.
 *
 * Upstash's scripts start with `#!lua flags=allow-key-locking`, which Redis 7 rejects, so the line
 * is stripped. Upstash calls evalsha with the sha of the ORIGINAL script: unknown shas answer
 * NOSCRIPT, Upstash then calls eval with the script, and we remember which real sha it maps to.
 * (On a Redis Cluster each node has its own script cache: a node that lacks the script answers
 * NOSCRIPT itself, and the same eval fallback loads it there.)
 *
 * Redis Cluster: every key of a script must be in one slot. The identifiers carry a hash tag, so
 * the window keys of one identifier share a slot; an empty-string key (what some Upstash versions
 * pass for "no dynamic limit") would hash to slot 0 → CROSSSLOT, so it is replaced by a key in the
 * first key's slot that is never written (the scripts treat a missing key as "no dynamic limit").
 */
export class UpstashIoRedisAdapter {
  private readonly shas = new Map<string, string>();
  constructor(private readonly client: RedisClient) {}

  async evalsha<T>(sha: string, keys: string[], args: unknown[]): Promise<T> {
    const real = this.shas.get(sha);
    if (!real) throw new Error("NOSCRIPT No matching script (not loaded by this adapter yet)");
    const k = sameSlotKeys(keys);
    return (await this.client.evalsha(real, k.length, ...k, ...args.map(arg))) as T;
  }

  async eval<T>(script: string, keys: string[], args: unknown[]): Promise<T> {
    const stripped = stripFlags(script);
    this.shas.set(sha1(script), sha1(stripped));
    const k = sameSlotKeys(keys);
    return (await this.client.eval(stripped, k.length, ...k, ...args.map(arg))) as T;
  }

  async get<T>(key: string): Promise<T | null> {
    return (await this.client.get(key)) as T | null;
  }

  async set(key: string, value: unknown): Promise<"OK"> {
    await this.client.set(key, String(value));
    return "OK";
  }
}

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/**
 * The hash tag of a key as Redis Cluster reads it: the text between the first `{` and the next `}`,
 * when not empty. Keys with the same tag share a slot.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf("{");
  if (open < 0) return null;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/** Empty keys replaced by an unused key in the first key's slot (see the class comment). */
export function sameSlotKeys(keys: string[]): string[] {
  const first = keys[0];
  if (!first || !keys.includes("")) return keys;
  const tag = hashTag(first) ?? first;
  return keys.map((k) => (k === "" ? `{${tag}}:nchat-absent-key` : k));
}

export const stripFlags = (script: string) => script.replace(/^#!lua[^\n]*\n/, "");

const arg = (v: unknown): string | number =>
  v === null || v === undefined ? "" : typeof v === "number" ? v : String(v);
