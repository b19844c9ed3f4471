import { describe, expect, it } from "vitest";
import { mentionToken, parseMentions } from "./mentions";

const A = "6f1c1a52-3f5e-4c7e-9a51-6b2f2f7c2a10";
const B = "0b7e3f8e-2a1d-4f7e-8c3b-1d2e3f4a5b6c";

describe("parseMentions", () => {
  it("finds user tokens (by id, deduplicated, in order), @channel and @here", () => {
    expect(parseMentions(`hi @[Ann Lee](${A}) and @[Bob](${B.toUpperCase()}), again @[Ann](${A})`)).toEqual({
      userIds: [A, B],
      channel: false,
      here: false,
    });
    expect(parseMentions("@channel: deploy at 5, @here.")).toEqual({
      userIds: [],
      channel: true,
      here: true,
    });
    expect(parseMentions("(@here)")).toMatchObject({ here: true });
  });

  it("ignores look-alikes: emails, longer words, plain @names, code", () => {
    for (const body of [
      "write to ops@here.com or x@channel.io",
      "@channels and @hereby and @here-now",
      "@ann and @[Ann]( not-a-uuid )",
      `\`@channel\` and \`@[Ann](${A})\``,
      `\`\`\`\n@here @[Ann](${A})\n\`\`\``,
    ])
      expect(parseMentions(body)).toEqual({ userIds: [], channel: false, here: false });
  });

  it("builds the token clients insert", () => {
    expect(mentionToken({ id: A, name: "Ann [ops]\nLee" })).toBe(`@[Ann opsLee](${A})`);
    expect(parseMentions(mentionToken({ id: A, name: "Ann" })).userIds).toEqual([A]);
  });
});
