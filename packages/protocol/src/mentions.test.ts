import { describe, expect, it } from "vitest";
import { findMentions, mentionToken, parseMentions, replaceUserTokens } from "./mentions";

const ANN = "0a1b2c3d-0000-4000-8000-00000000000a";

describe("mention grammar", () => {
  it("finds user tokens and whole-word broadcasts outside code", () => {
    const body = `hi @[Ann](${ANN.toUpperCase()}) @here \`@channel\` me@here.com @channel-x @channel`;
    expect(parseMentions(body)).toEqual({ userIds: [ANN], channel: true, here: true });
  });

  it("gives positions within a text node, minding the character before it", () => {
    expect(findMentions("@here now", "a")).toEqual([]);
    expect(findMentions("@here now", " ")).toEqual([{ start: 0, end: 5, mention: { kind: "here" } }]);
    expect(findMentions(`x @[Ann](${ANN})`)).toEqual([
      {
        start: 2,
        end: 2 + mentionToken({ id: ANN, name: "Ann" }).length,
        mention: { kind: "user", id: ANN, name: "Ann" },
      },
    ]);
  });

  it("writes and replaces tokens", () => {
    expect(mentionToken({ id: ANN, name: "A[n]n\n" })).toBe(`@[Ann](${ANN})`);
    expect(replaceUserTokens(`hey @[Ann](${ANN})`)).toBe("hey @Ann");
  });
});
