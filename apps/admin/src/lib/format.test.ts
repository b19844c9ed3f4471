import { describe, expect, it } from "vitest";
import { formatBytes, formatLimitValue, formatPeriod, formatPeriodLong } from "./format";

describe("admin console formatting", () => {
  it("names months unambiguously: December 2026, never Dec 26", () => {
    expect(formatPeriodLong("2026-12")).toBe("December 2026");
    expect(formatPeriod("2026-12")).toBe("Dec 2026");
  });

  it("formats sizes as the tenant app does, and -1 limits as Unlimited", () => {
    expect(formatBytes(1024 ** 3)).toBe("1 GB");
    expect(formatBytes(1.5 * 1024 ** 3)).toBe("1.5 GB");
    expect(formatLimitValue("maxUploadMb", 1_024)).toBe("1 GB");
    expect(formatLimitValue("storageGb", 100)).toBe("100 GB");
    expect(formatLimitValue("users", -1)).toBe("Unlimited");
    expect(formatLimitValue("apiCallsPerMonth", 50_000)).toBe("50,000");
  });
});
