import { describe, expect, it } from "vitest";
import { fromTokens, mentionQuery, toTokens } from "./mentions";

const ANN = "0a1b2c3d-0000-4000-8000-000000000001";
const BOB = "0a1b2c3d-0000-4000-8000-000000000002";

describe("composer mentions", () => {
  it("turns picked @Name into the router's token, longest names first", () => {
    const text = "hi @Ann Lee and @Ann, see @Annette";
    const out = toTokens(text, [
      { id: ANN, name: "Ann Lee" },
      { id: BOB, name: "Ann" },
    ]);
    expect(out).toBe(`hi @[Ann Lee](${ANN}) and @[Ann](${BOB}), see @Annette`);
  });

  it("round-trips tokens for editing", () => {
    const body = `ping @[Ann Lee](${ANN}) and @channel`;
    const { text, picked } = fromTokens(body);
    expect(text).toBe("ping @Ann Lee and @channel");
    expect(toTokens(text, picked)).toBe(body);
  });

  it("finds the @query before the caret, not in e-mail addresses", () => {
    expect(mentionQuery("hello @an", 9)).toEqual({ start: 6, query: "an" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("mail me@here", 12)).toBeNull();
  });
});
