/**
 * Chat markdown, rendered to React elements (never to an HTML string: there is no way for a message
 * to inject markup). Supported: paragraphs and line breaks, ``` fenced code ```, `inline code`,
 * **bold**, *italic* / _italic_, ~~strike~~, [links](https://…), bare https:// links, > quotes,
 * - bullet and 1. numbered lists, and mentions in the chat router's syntax: @[Name](user-id),
 * @channel, @here. Link targets are limited to http(s), mailto and same-site paths.
 */
import {
  BROADCAST_PATTERN,
  parseMentions,
  replaceUserTokens,
  USER_TOKEN_PATTERN,
  UUID_PATTERN,
} from "@nchat/protocol/mentions";
import { Fragment, type ReactNode } from "react";

export type MentionRenderer = (
  m: { kind: "user"; id: string; name: string } | { kind: "channel" | "here" },
) => ReactNode;

export type RenderOptions = {
  mention?: MentionRenderer;
  /** Renders a link to a file of this workspace (`/api/attachments/<id>`) instead of a plain link. */
  attachmentLink?: (id: string, text: string) => ReactNode;
};

const ATTACHMENT_PATH = new RegExp(`^/api/attachments/(${UUID_PATTERN})$`);

/** Inline patterns, tried at each position; the earliest match wins (ties: list order). */
const INLINE: { name: string; re: RegExp }[] = [
  { name: "code", re: /`([^`\n]+)`/y },
  // Mentions: the grammar the server parses (@nchat/protocol).
  { name: "mention", re: new RegExp(USER_TOKEN_PATTERN, "y") },
  { name: "broadcast", re: new RegExp(BROADCAST_PATTERN, "y") },
  { name: "link", re: /\[([^\]\n]{1,500})\]\(([^)\s]{1,2048})\)/y },
  { name: "url", re: /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"\]]/y },
  { name: "bold", re: /\*\*(?=\S)([\s\S]+?)(?<=\S)\*\*/y },
  { name: "bold", re: /__(?=\S)([\s\S]+?)(?<=\S)__(?!\w)/y },
  { name: "strike", re: /~~(?=\S)([\s\S]+?)(?<=\S)~~/y },
  { name: "italic", re: /\*(?=[^\s*])([\s\S]+?)(?<=[^\s*])\*/y },
  { name: "italic", re: /(?<![\w])_(?=\S)([\s\S]+?)(?<=\S)_(?!\w)/y },
];
const TRIGGERS = /[`@[h*_~]/g;

/** Any origin: same-site paths are resolved against it, and must stay on it. */
const SAME_SITE = "https://same-site.invalid";

/**
 * A safe href, or null: http(s), mailto, or a path on this site.
 *
 * Browsers rewrite a URL before they follow it (WHATWG URL parser): they drop tabs and newlines
 * anywhere (`java\tscript:`, `/\t/evil`), strip leading control characters and spaces, and read a
 * backslash as a slash in http(s) URLs, so `/\evil.example` and `\\evil.example` are the
 * protocol-relative `//evil.example` — a link that looks same-site and leads to another host. A
 * target that holds a backslash, a control character or whitespace is therefore not a link at all
 * (nothing legitimate needs them raw; they can be percent-encoded), and a path is accepted only when
 * the URL parser itself resolves it to this site's origin.
 */
export function safeHref(raw: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(raw)) return null;
  const href = raw.trim();
  if (href === "" || /\s/.test(href)) return null;
  if (href.startsWith("/")) {
    if (href.startsWith("//")) return null;
    try {
      return new URL(href, SAME_SITE).origin === SAME_SITE ? href : null;
    } catch {
      return null;
    }
  }
  try {
    const u = new URL(href);
    return u.protocol === "http:" || u.protocol === "https:" || u.protocol === "mailto:"
      ? u.toString()
      : null;
  } catch {
    return null;
  }
}

function renderLink(
  href: string,
  children: ReactNode,
  key: string,
  opts: RenderOptions,
  text: string,
): ReactNode {
  const safe = safeHref(href);
  if (!safe) return <Fragment key={key}>{text}</Fragment>;
  const attachment = ATTACHMENT_PATH.exec(safe);
  if (attachment && opts.attachmentLink)
    return <Fragment key={key}>{opts.attachmentLink(attachment[1]!, text)}</Fragment>;
  const external = !safe.startsWith("/");
  return (
    <a
      key={key}
      href={safe}
      {...(external ? { target: "_blank", rel: "noopener noreferrer nofollow ugc" } : {})}
    >
      {children}
    </a>
  );
}

export function renderInline(text: string, opts: RenderOptions = {}, keyPrefix = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  let pos = 0;
  let plainStart = 0;
  let n = 0;
  const flush = (end: number) => {
    if (end > plainStart) out.push(text.slice(plainStart, end));
  };
  TRIGGERS.lastIndex = 0;
  while (pos < text.length) {
    TRIGGERS.lastIndex = pos;
    const t = TRIGGERS.exec(text);
    if (!t) break;
    const at = t.index;
    let matched = false;
    for (const { name, re } of INLINE) {
      re.lastIndex = at;
      const m = re.exec(text);
      if (!m) continue;
      // Words: "snake_case" and "a*b*c" are not emphasis starts in the middle of a word.
      if (name === "url" && at > 0 && /[\w@./]/.test(text[at - 1]!)) continue;
      flush(at);
      const key = `${keyPrefix}-${n++}`;
      switch (name) {
        case "code":
          out.push(<code key={key}>{m[1]}</code>);
          break;
        case "mention":
          out.push(
            <Fragment key={key}>
              {opts.mention
                ? opts.mention({ kind: "user", name: m[1]!, id: m[2]!.toLowerCase() })
                : `@${m[1]}`}
            </Fragment>,
          );
          break;
        case "broadcast":
          out.push(
            <Fragment key={key}>
              {opts.mention ? opts.mention({ kind: m[1] as "channel" | "here" }) : `@${m[1]}`}
            </Fragment>,
          );
          break;
        case "link":
          out.push(
            renderLink(
              m[2]!,
              renderInline(m[1]!, { ...opts, attachmentLink: undefined }, key),
              key,
              opts,
              m[1]!,
            ),
          );
          break;
        case "url":
          out.push(renderLink(m[0], m[0], key, opts, m[0]));
          break;
        case "bold":
          out.push(<strong key={key}>{renderInline(m[1]!, opts, key)}</strong>);
          break;
        case "italic":
          out.push(<em key={key}>{renderInline(m[1]!, opts, key)}</em>);
          break;
        case "strike":
          out.push(<s key={key}>{renderInline(m[1]!, opts, key)}</s>);
          break;
      }
      pos = at + m[0].length;
      plainStart = pos;
      matched = true;
      break;
    }
    if (!matched) pos = at + 1;
  }
  flush(text.length);
  return out;
}

type Block =
  | { type: "code"; lang: string; text: string }
  | { type: "quote"; lines: string[] }
  | { type: "ul" | "ol"; items: string[]; start: number }
  | { type: "p"; lines: string[] };

export function parseBlocks(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s*```([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i++]!);
      i++; // closing fence (or end)
      blocks.push({ type: "code", lang: fence[1] ?? "", text: body.join("\n") });
      continue;
    }
    // ```inline code on one line```
    const oneLine = /^\s*```(.+)```\s*$/.exec(line);
    if (oneLine) {
      blocks.push({ type: "code", lang: "", text: oneLine[1]! });
      i++;
      continue;
    }
    if (/^>\s?/.test(line)) {
      const q: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i]!)) q.push(lines[i++]!.replace(/^>\s?/, ""));
      blocks.push({ type: "quote", lines: q });
      continue;
    }
    if (/^\s*[-*•]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*•]\s+/.test(lines[i]!))
        items.push(lines[i++]!.replace(/^\s*[-*•]\s+/, ""));
      blocks.push({ type: "ul", items, start: 1 });
      continue;
    }
    const num = /^\s*(\d{1,6})[.)]\s+/.exec(line);
    if (num) {
      const items: string[] = [];
      while (i < lines.length && /^\s*\d{1,6}[.)]\s+/.test(lines[i]!))
        items.push(lines[i++]!.replace(/^\s*\d{1,6}[.)]\s+/, ""));
      blocks.push({ type: "ol", items, start: Number(num[1]) });
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      lines[i]!.trim() !== "" &&
      !/^\s*```/.test(lines[i]!) &&
      !/^>\s?/.test(lines[i]!) &&
      !/^\s*([-*•]|\d{1,6}[.)])\s+/.test(lines[i]!)
    )
      para.push(lines[i++]!);
    blocks.push({ type: "p", lines: para });
  }
  return blocks;
}

function lineBreaks(lines: string[], opts: RenderOptions, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  // Lines of a static message: their position is their identity.
  lines.forEach((l, idx) => {
    const k = `${key}-l${idx}`;
    if (idx > 0) out.push(<br key={`${k}-br`} />);
    out.push(<Fragment key={k}>{renderInline(l, opts, k)}</Fragment>);
  });
  return out;
}

/** A message body as React elements. */
export function Markdown({ source, options = {} }: { source: string; options?: RenderOptions }) {
  const blocks = parseBlocks(source);
  return (
    <div className="md">
      {blocks.map((b, idx) => {
        const key = `b${idx}`;
        switch (b.type) {
          case "code":
            return (
              <pre key={key} data-lang={b.lang || undefined}>
                <code>{b.text}</code>
              </pre>
            );
          case "quote":
            return <blockquote key={key}>{lineBreaks(b.lines, options, key)}</blockquote>;
          case "ul":
            return (
              <ul key={key}>
                {b.items.map((it, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: static content
                  <li key={j}>{renderInline(it, options, `${key}-${j}`)}</li>
                ))}
              </ul>
            );
          case "ol":
            return (
              <ol key={key} start={b.start}>
                {b.items.map((it, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: static content
                  <li key={j}>{renderInline(it, options, `${key}-${j}`)}</li>
                ))}
              </ol>
            );
          default:
            return <p key={key}>{lineBreaks(b.lines, options, key)}</p>;
        }
      })}
    </div>
  );
}

/** Mentions (user ids, @channel/@here) in a body, outside code: the server's own parser. */
export function mentionsIn(body: string): { userIds: string[]; broadcast: boolean } {
  const { userIds, channel, here } = parseMentions(body);
  return { userIds, broadcast: channel || here };
}

/** Plain text of a body (mentions as @Name, markup stripped roughly): notifications, previews. */
export function plainText(body: string): string {
  return replaceUserTokens(body)
    .replace(/```[\s\S]*?(?:```|$)/g, "[code]")
    .replace(/\[([^\]\n]+)\]\([^)\s]+\)/g, "$1")
    .replace(/[*_~`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
