import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * @upstash/ratelimit speaks to an Upstash REST client; this makes an ioredis client look like one
 * for the calls it makes: evalsha / eval (with key and arg arrays), get, set.
 *
 * Upstash's scripts start with `#!lua flags=allow-key-locking`, which Redis 7 rejects, so the line
 * is stripped. Upstash calls evalsha with the sha of the ORIGINAL script: unknown shas answer
 * NOSCRIPT, Upstash then calls eval with the script, and we remember which real sha it maps to.
 */
export class UpstashIoRedisAdapter {
  private readonly shas = new Map<string, string>();
  constructor(private readonly client: Redis) {}

  async evalsha<T>(sha: string, keys: string[], args: unknown[]): Promise<T> {
    const real = this.shas.get(sha);
    if (!real) throw new Error("NOSCRIPT No matching script (not loaded by this adapter yet)");
    return (await this.client.evalsha(real, keys.length, ...keys, ...args.map(arg))) as T;
  }

  async eval<T>(script: string, keys: string[], args: unknown[]): Promise<T> {
    const stripped = stripFlags(script);
    this.shas.set(sha1(script), sha1(stripped));
    return (await this.client.eval(stripped, keys.length, ...keys, ...args.map(arg))) as T;
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

export const stripFlags = (script: string) => script.replace(/^#!lua[^\n]*\n/, "");

const arg = (v: unknown): string | number =>
  v === null || v === undefined ? "" : typeof v === "number" ? v : String(v);
