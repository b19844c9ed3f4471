import { readFileSync } from "node:fs";
import { ENV_SHAPE } from "@nchat/config";
import { describe, expect, it } from "vitest";
import { DOC_FILE, NOT_IN_SCHEMA, parseExample, renderConfigurationReference } from "./configuration";

describe("the configuration reference cannot drift", () => {
  it(".env.example documents every variable of the schema, and only those", () => {
    const documented = parseExample().map((e) => e.key);
    const schema = Object.keys(ENV_SHAPE);
    expect(schema.filter((k) => !documented.includes(k))).toEqual([]);
    expect(documented.filter((k) => !schema.includes(k) && !NOT_IN_SCHEMA.has(k))).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it("every variable has a note for operators", () => {
    const bare = parseExample().filter((e) => e.notes.length === 0 && e.key !== "NODE_ENV");
    expect(bare.map((e) => e.key)).toEqual([]);
  });

  it("docs/configuration.md is what `pnpm docs:config` writes", () => {
    expect(readFileSync(DOC_FILE, "utf8")).toBe(renderConfigurationReference());
  });
});
