/**
 * Chat markdown, rendered to React elements by react-markdown (never to an HTML string): CommonMark
 * + GFM — paragraphs and line breaks (every newline counts, as typed), ``` fenced code ```,
 * `inline code`, **bold**, *italic* / _italic_, ~~strike~~, [links](https://…), bare https:// links,
 * > quotes, lists, tables. Off, as in chat: raw HTML (it shows as the text typed), headings and
 * indented code (a "# " or four spaces stay text), images (their text is shown: a message loads
 * nothing from elsewhere). Mentions are the shared grammar (@nchat/protocol: @[Name](user-id),
 * @channel, @here), found by a remark plugin outside code. Link targets are limited to http(s),
 * mailto and same-site paths. Fenced code with a language (```ts) is highlighted (rehype-highlight,
 * the languages of `HIGHLIGHT_LANGUAGES` only; no guessing): spans with `hljs-*` classes, never HTML.
 */
import {
  findMentions,
  type Mention,
  parseMentions,
  replaceUserTokens,
  UUID_PATTERN,
} from "@nchat/protocol/mentions";
import type { ComponentProps, ReactNode } from "react";
import ReactMarkdown, { type Components, type ExtraProps } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import { HIGHLIGHT_ALIASES, HIGHLIGHT_LANGUAGES } from "./highlight-languages";

export type MentionRenderer = (m: Mention) => ReactNode;

export type RenderOptions = {
  mention?: MentionRenderer;
  /** Renders a link to a file of this workspace (`/api/attachments/<id>`) instead of a plain link. */
  attachmentLink?: (id: string, text: string) => ReactNode;
};

const ATTACHMENT_PATH = new RegExp(`^/api/attachments/(${UUID_PATTERN})$`);
const UUID_ONLY = new RegExp(`^${UUID_PATTERN}$`);

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

/* ─── The remark plugin: mentions and line breaks ─────────────────────────────────────────────── */

/** The parts of mdast this file touches (the `mdast` types are not a dependency of the app). */
type MdNode = {
  type: string;
  value?: string;
  url?: string;
  children?: MdNode[];
  position?: { start: { offset?: number }; end: { offset?: number } };
  data?: { hName?: string; hProperties?: Record<string, string> };
};

const mentionNode = (m: Mention): MdNode => ({
  type: "mention",
  data: {
    hName: "span",
    hProperties:
      m.kind === "user" ? { dataMention: "user", dataId: m.id, dataName: m.name } : { dataMention: m.kind },
  },
});

/** A text node as mentions and text, with each newline a line break (chat keeps the lines typed). */
function splitText(value: string, before: string): MdNode[] {
  const out: MdNode[] = [];
  const pushText = (text: string) => {
    text.split("\n").forEach((line, i) => {
      if (i > 0) out.push({ type: "break" });
      if (line) out.push({ type: "text", value: line });
    });
  };
  let pos = 0;
  for (const { start, end, mention } of findMentions(value, before)) {
    pushText(value.slice(pos, start));
    out.push(mentionNode(mention));
    pos = end;
  }
  pushText(value.slice(pos));
  return out;
}

/** The destination of a link as typed (`[text](dest)`, `<dest>` or a bare URL), escapes and all. */
function typedDestination(source: string, node: MdNode): string | null {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  if (start === undefined || end === undefined) return null;
  const raw = source.slice(start, end);
  const at = raw.lastIndexOf("](");
  return raw.endsWith(")") && at >= 0 ? raw.slice(at + 2, -1) : raw;
}

/**
 * Mentions (the server's grammar, outside code and links), line breaks, and links whose typed
 * target is not what the parser made of it: `[x](https://a.example\@b.example)` would otherwise
 * lead, once the escape is read, to b.example — such a target is not a link (see safeHref).
 */
function remarkChat() {
  return (tree: MdNode, file: { value: unknown }) => {
    const source = String(file.value ?? "");
    const walk = (parent: MdNode) => {
      const kids = parent.children;
      if (!kids) return;
      const out: MdNode[] = [];
      for (const child of kids) {
        if (child.type === "link") {
          const typed = typedDestination(source, child);
          const start = child.position?.start.offset ?? 0;
          const prev = out[out.length - 1];
          // `@[Name](id)` parses as "@" + a link to "id": a user mention when the grammar agrees.
          if (prev?.type === "text" && prev.value?.endsWith("@") && UUID_ONLY.test(child.url ?? "")) {
            const found = findMentions(source.slice(start - 1, child.position?.end.offset));
            const whole = found[0];
            if (whole && found.length === 1 && whole.start === 0 && whole.mention.kind === "user") {
              prev.value = prev.value.slice(0, -1);
              if (!prev.value) out.pop();
              out.push(mentionNode(whole.mention));
              continue;
            }
          }
          if (typed !== null && safeHref(typed.replace(/^<|>$/g, "")) === null) child.url = "";
          out.push(child); // no mentions inside a link's text
          continue;
        }
        if (child.type === "definition") {
          const start = child.position?.start.offset;
          const end = child.position?.end.offset;
          const typed = /^\s*\[[^\]]*\]:\s*(\S+)/.exec(source.slice(start ?? 0, end ?? 0))?.[1];
          if (typed === undefined || safeHref(typed.replace(/^<|>$/g, "")) === null) child.url = "";
          out.push(child);
          continue;
        }
        if (child.type === "text") {
          const start = child.position?.start.offset;
          const before = start ? source.slice(start - 1, start) : "";
          out.push(...splitText(child.value ?? "", before));
          continue;
        }
        walk(child);
        out.push(child);
      }
      parent.children = out;
    };
    walk(tree);
  };
}

/** Turns off the constructs chat does not use (in the parser, so their text stays as typed). */
function remarkChatSyntax(this: unknown) {
  const data = (this as { data: () => Record<string, unknown> }).data();
  if (!Array.isArray(data.micromarkExtensions)) data.micromarkExtensions = [];
  (data.micromarkExtensions as unknown[]).push({
    disable: { null: ["headingAtx", "setextUnderline", "codeIndented", "htmlFlow", "htmlText"] },
  });
}

/* ─── Rendering ─────────────────────────────────────────────────────────────────────────────── */

type HastNode = { type: string; value?: string; tagName?: string; children?: HastNode[] };
const textOf = (node: HastNode | undefined): string =>
  !node ? "" : node.type === "text" ? (node.value ?? "") : (node.children ?? []).map(textOf).join("");

function components(opts: RenderOptions): Components {
  return {
    a({ href, children, node }) {
      const safe = href ? safeHref(href) : null;
      if (!safe) return <>{children}</>;
      const attachment = ATTACHMENT_PATH.exec(safe);
      if (attachment && opts.attachmentLink)
        return <>{opts.attachmentLink(attachment[1]!, textOf(node as HastNode))}</>;
      const external = !safe.startsWith("/");
      return (
        <a href={safe} {...(external ? { target: "_blank", rel: "noopener noreferrer nofollow ugc" } : {})}>
          {children}
        </a>
      );
    },
    span(props: ComponentProps<"span"> & ExtraProps & { "data-mention"?: string }) {
      const kind = props["data-mention"];
      const data = props as Record<string, unknown>;
      if (kind === "user") {
        const m: Mention = { kind, id: String(data["data-id"]), name: String(data["data-name"]) };
        return <>{opts.mention ? opts.mention(m) : `@${m.name}`}</>;
      }
      if (kind === "channel" || kind === "here")
        return <>{opts.mention ? opts.mention({ kind }) : `@${kind}`}</>;
      // The highlighter's token spans keep their `hljs-*` class; no other class gets through.
      const token = props.className?.split(" ").every((c) => c.startsWith("hljs-"));
      return <span className={token ? props.className : undefined}>{props.children}</span>;
    },
    pre({ node, children }) {
      // The code element (highlighted spans, or the code as typed: rehypeTrimCode dropped the
      // newline the HTML conversion adds at its end).
      const code = (node as HastNode | undefined)?.children?.find((c) => c.tagName === "code") as
        | (HastNode & { properties?: { className?: unknown } })
        | undefined;
      const classes = code?.properties?.className;
      const lang = Array.isArray(classes)
        ? classes
            .map(String)
            .find((c) => c.startsWith("language-"))
            ?.slice("language-".length)
        : undefined;
      return <pre data-lang={lang || undefined}>{children}</pre>;
    },
    code({ className, children }) {
      // Only the highlighter's classes reach the page (`hljs`, `language-*`); its spans carry `hljs-*`.
      const kept = className
        ?.split(" ")
        .filter((c) => c === "hljs" || c.startsWith("language-"))
        .join(" ");
      return <code className={kept || undefined}>{children}</code>;
    },
    del: ({ children }) => <s>{children}</s>,
    img: ({ alt }) => <>{alt ?? ""}</>,
  };
}

const REMARK_PLUGINS = [remarkChatSyntax, [remarkGfm, { singleTilde: false }], remarkChat] as NonNullable<
  Parameters<typeof ReactMarkdown>[0]["remarkPlugins"]
>;

/** The code of a fenced block as typed: without the newline the HTML conversion adds at its end. */
function rehypeTrimCode() {
  const visit = (node: HastNode) => {
    if (node.tagName === "pre")
      for (const code of node.children ?? []) {
        const last = code.tagName === "code" ? code.children?.at(-1) : undefined;
        if (last?.type === "text" && last.value?.endsWith("\n")) last.value = last.value.slice(0, -1);
      }
    for (const child of node.children ?? []) visit(child);
  };
  return (tree: HastNode) => visit(tree);
}

const REHYPE_PLUGINS = [
  rehypeTrimCode,
  [rehypeHighlight, { languages: HIGHLIGHT_LANGUAGES, aliases: HIGHLIGHT_ALIASES, detect: false }],
] as NonNullable<Parameters<typeof ReactMarkdown>[0]["rehypePlugins"]>;

/** A message body as React elements. */
export function Markdown({ source, options = {} }: { source: string; options?: RenderOptions }) {
  return (
    <div className="md">
      <ReactMarkdown
        remarkPlugins={REMARK_PLUGINS}
        rehypePlugins={REHYPE_PLUGINS}
        components={components(options)}
        urlTransform={(url) => safeHref(url) ?? ""}
      >
        {source}
      </ReactMarkdown>
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
