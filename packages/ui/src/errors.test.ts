import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import {
  appCodeOf,
  appErrorOf,
  errorMessage,
  fieldError,
  fieldErrors,
  RestError,
  retryAfterSeconds,
} from "./errors";

const trpcError = (message: string, data?: Record<string, unknown>) =>
  Object.assign(new TRPCClientError(message), { data }) as TRPCClientError<never>;

describe("API error helpers", () => {
  it("reads the error formatter's shape, field issues from details included", () => {
    const e = trpcError("Check the form.", {
      appCode: "VALIDATION_FAILED",
      httpStatus: 400,
      fields: [{ path: "name", message: "Too short." }],
      details: { fields: [{ path: "limits.users", message: "Enter a number." }], retryAfter: 5 },
    });
    expect(appErrorOf(e)).toMatchObject({ appCode: "VALIDATION_FAILED", httpStatus: 400 });
    expect(appCodeOf(e)).toBe("VALIDATION_FAILED");
    expect(errorMessage(e)).toBe("Check the form.");
    expect(fieldErrors(e)).toEqual({ name: "Too short.", "limits.users": "Enter a number." });
    expect(fieldError(appErrorOf(e), "limits")).toBe("Enter a number.");
    expect(fieldError(appErrorOf(e), "limit")).toBeUndefined();
    expect(retryAfterSeconds(e)).toBe(5);
  });

  it("says the server cannot be reached when no answer came", () => {
    expect(errorMessage(trpcError("Failed to fetch"))).toBe(
      "Cannot reach the server. Check your connection and try again.",
    );
  });

  it("reads REST error bodies and plain errors", () => {
    const rest = RestError.fromBody(413, { error: { code: "LIMIT_EXCEEDED", message: "Too large." } });
    expect(appCodeOf(rest)).toBe("LIMIT_EXCEEDED");
    expect(errorMessage(rest)).toBe("Too large.");
    expect(appErrorOf(new Error("boom"))).toBeNull();
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("?", "Fallback.")).toBe("Fallback.");
  });
});
