import { describe, expect, it } from "vitest";
import { KnownNames } from "./known-names";

describe("KnownNames", () => {
  it("finds every name it was built from or given since, and (practically) nothing else", () => {
    const b = KnownNames.builder();
    const names = Array.from({ length: 100_000 }, (_, i) => `slug:org${i}`);
    for (const n of names) b.add(n);
    b.add("slug:org1"); // duplicates are harmless
    const known = b.build();
    expect(names.every((n) => known.has(n))).toBe(true);
    let collisions = 0;
    for (let i = 0; i < 100_000; i++) if (known.has(`slug:other${i}`)) collisions++;
    expect(collisions).toBe(0); // expected ~1e-6 at this size
    expect(known.has("domain:org1")).toBe(false);

    known.add("domain:chat.example.com");
    expect(known.has("domain:chat.example.com")).toBe(true);
    expect(known.size).toBe(100_002);
  });

  it("holds 8 bytes per name once built", () => {
    const b = KnownNames.builder();
    for (let i = 0; i < 10_000; i++) b.add(`slug:t${i}`);
    expect(b.build().bytes).toBe(80_000);
  });
});
