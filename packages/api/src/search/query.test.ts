import { describe, expect, it } from "vitest";
import { prefixPattern } from "./query";

describe("the word being typed as a tsquery prefix", () => {
  it("keeps letters and digits only, the last run as the prefix", () => {
    expect(prefixPattern("Depl")).toBe("depl:*");
    expect(prefixPattern("re-dep")).toBe("re & dep:*");
    expect(prefixPattern("v2.1")).toBe("v2 & 1:*");
    expect(prefixPattern("Zürich")).toBe("zürich:*");
    // tsquery syntax never gets through: quotes, operators, weights, parentheses.
    expect(prefixPattern("a'|b&!c:*D(e)<->f")).toBe("a & b & c & d & e & f:*");
    expect(prefixPattern("!!&|")).toBeNull();
  });
});
