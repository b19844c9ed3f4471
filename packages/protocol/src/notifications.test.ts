import { describe, expect, it } from "vitest";
import { mentionToken } from "./mentions";
import { type NotifyCandidate, setNotificationSettingsInput, shouldNotify } from "./notifications";

const ME = "0a1b2c3d-0000-4000-8000-00000000000a";
const ANN = "0a1b2c3d-0000-4000-8000-00000000000b";
const CH = "0a1b2c3d-0000-4000-8000-0000000000c1";

const base = (over: Partial<NotifyCandidate> = {}, body = "hello"): NotifyCandidate => ({
  message: { channelId: CH, authorId: ANN, body },
  me: { id: ME },
  channel: { kind: "public", settings: { level: null, muted: false } },
  focusedChannelId: null,
  ...over,
});
const channel = (
  kind: "public" | "private" | "dm",
  level: "all" | "mentions" | "nothing" | null,
  muted = false,
) => ({
  channel: { kind, settings: { level, muted } },
});
const mention = `hey ${mentionToken({ id: ME, name: "Me" })}`;

describe("desktop notification rule", () => {
  it("DMs notify by default; channels only on a mention by default", () => {
    expect(shouldNotify(base(channel("dm", null)))).toBe(true);
    expect(shouldNotify(base(channel("public", null)))).toBe(false);
    expect(shouldNotify(base(channel("private", null), mention))).toBe(true);
  });

  it("'mentions' notifies on my token, @channel and @here — not on someone else's or inside code", () => {
    const c = channel("public", "mentions");
    expect(shouldNotify(base(c, mention))).toBe(true);
    expect(shouldNotify(base(c, "ping @channel"))).toBe(true);
    expect(shouldNotify(base(c, "@here standup"))).toBe(true);
    expect(shouldNotify(base(c, `hi ${mentionToken({ id: ANN, name: "Ann" })}`))).toBe(false);
    expect(shouldNotify(base(c, "`@channel` is how you ping"))).toBe(false);
    expect(shouldNotify(base(channel("dm", "mentions")))).toBe(false);
  });

  it("'all' notifies on everything, 'nothing' and mute on nothing", () => {
    expect(shouldNotify(base(channel("public", "all")))).toBe(true);
    expect(shouldNotify(base(channel("dm", "nothing"), mention))).toBe(false);
    expect(shouldNotify(base(channel("public", "all", true), mention))).toBe(false);
    expect(shouldNotify(base(channel("dm", null, true)))).toBe(false);
  });

  it("never for my own messages, outside my channels, or while the channel is on screen", () => {
    expect(
      shouldNotify({
        ...base(channel("dm", "all")),
        message: { channelId: CH, authorId: ME.toUpperCase(), body: "x" },
      }),
    ).toBe(false);
    expect(shouldNotify(base({ channel: null }, mention))).toBe(false);
    expect(shouldNotify(base({ ...channel("dm", "all"), focusedChannelId: CH }))).toBe(false);
    expect(shouldNotify(base({ ...channel("dm", "all"), focusedChannelId: ANN }))).toBe(true);
  });

  it("settings input: a level, null (default), mute; something must change", () => {
    expect(setNotificationSettingsInput.safeParse({ channelId: CH, level: "mentions" }).success).toBe(true);
    expect(setNotificationSettingsInput.safeParse({ channelId: CH, level: null }).success).toBe(true);
    expect(setNotificationSettingsInput.safeParse({ channelId: CH, muted: true }).success).toBe(true);
    expect(setNotificationSettingsInput.safeParse({ channelId: CH }).success).toBe(false);
    expect(setNotificationSettingsInput.safeParse({ channelId: CH, level: "loud" }).success).toBe(false);
  });
});
