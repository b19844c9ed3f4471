import { describe, expect, it } from "vitest";
import { formatBytes, formatGigabytes, formatLimit, formatLimitValue, formatMegabytes } from "./format";

describe("sizes and limits read the same everywhere", () => {
  it("1,024 MB is 1 GB, in plan sizes as in usage", () => {
    expect(formatMegabytes(1_024)).toBe("1 GB");
    expect(formatBytes(1024 ** 3)).toBe("1 GB");
    expect(formatGigabytes(1)).toBe("1 GB");
    expect(formatMegabytes(10)).toBe("10 MB");
    expect(formatGigabytes(100)).toBe("100 GB");
    expect(formatGigabytes(1_024)).toBe("1 TB");
    expect(formatGigabytes(0.5)).toBe("512 MB");
  });

  it("-1 reads Unlimited, never -1", () => {
    expect(formatLimit(-1)).toBe("Unlimited");
    expect(formatLimit(50_000)).toBe("50,000");
    expect(formatGigabytes(-1)).toBe("Unlimited");
    expect(formatLimitValue("users", -1)).toBe("Unlimited");
    expect(formatLimitValue("maxUploadMb", 1_024)).toBe("1 GB");
    expect(formatLimitValue("name", -1)).toBeNull();
  });
});
