import { randomBytes } from "node:crypto";

/**
 * The set of names that exist (resolver keys: `slug:<slug>`, `domain:<domain>`), kept compact: a
 * sorted array of 53-bit hashes — 8 bytes per name, ~8 MB for 1,000,000 names (a `Set` of the
 * strings takes ~8× that) — plus an ordinary set of the names added since it was built.
 *
 * Wrong in one direction only, and rarely: a name that was never added can collide with one that
 * was (probability ≈ n / 2^53 per lookup, ~1e-10 at a million names); it then costs one ordinary
 * lookup. A name that was added is always found. The hash is seeded per process, so which names
 * collide cannot be known, let alone chosen, from outside.
 */
export class KnownNames {
  private readonly added = new Set<string>();

  private constructor(
    private readonly seed: [number, number],
    /** Sorted, no duplicates needed. */
    private readonly hashes: Float64Array,
  ) {}

  /** A builder for a new set; names may come in any order and more than once. */
  static builder(): KnownNamesBuilder {
    return new KnownNamesBuilder(randomSeed());
  }

  /** @internal */
  static fromSorted(seed: [number, number], hashes: Float64Array): KnownNames {
    return new KnownNames(seed, hashes);
  }

  get size(): number {
    return this.hashes.length + this.added.size;
  }

  /** Bytes held by the set (the hashes, plus a rough figure for the names added since). */
  get bytes(): number {
    let added = 0;
    for (const n of this.added) added += 48 + 2 * n.length;
    return this.hashes.byteLength + added;
  }

  has(name: string): boolean {
    if (this.added.has(name)) return true;
    const h = hash53(name, this.seed);
    const a = this.hashes;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  add(name: string): void {
    if (!this.has(name)) this.added.add(name);
  }
}

export class KnownNamesBuilder {
  private hashes = new Float64Array(1024);
  private length = 0;

  constructor(private readonly seed: [number, number]) {}

  add(name: string): void {
    if (this.length === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.length++] = hash53(name, this.seed);
  }

  build(): KnownNames {
    // A copy of the exact length: the builder's spare capacity is not kept alive.
    const hashes = this.hashes.slice(0, this.length).sort();
    this.hashes = new Float64Array(0);
    this.length = 0;
    return KnownNames.fromSorted(this.seed, hashes);
  }
}

function randomSeed(): [number, number] {
  const b = randomBytes(8);
  return [b.readUInt32LE(0), b.readUInt32LE(4)];
}

/**
 * Two 32-bit multiply–xorshift hashes of the UTF-16 code units, each with its own seed, combined
 * into 53 bits (exact in a double) — the construction of the public-domain "cyrb53". Not cryptographic: it only has to spread names evenly, with a
 * seed nobody outside the process knows.
 */
export function hash53(s: string, seed: [number, number]): number {
  let h1 = 0xdeadbeef ^ seed[0];
  let h2 = 0x41c6ce57 ^ seed[1];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
