import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown, type RenderOptions } from "./markdown";

const ID = "0a1b2c3d-0000-4000-8000-000000000001";
const options: RenderOptions = {
  mention: (m) =>
    createElement(
      "b",
      { className: "mention" },
      m.kind === "user" ? `@user:${m.id}:${m.name}` : `@${m.kind}`,
    ),
};
const html = (source: string, opts: RenderOptions = options) =>
  renderToStaticMarkup(createElement(Markdown, { source, options: opts }));

describe("chat markdown: mentions, lines and what chat leaves as typed", () => {
  it("renders user mentions and @channel/@here with the shared grammar, not in code", () => {
    const out = html(`hi @[Ann **Lee**](${ID.toUpperCase()}), @here and @channel \`@here\` me@here.com`);
    expect(out).toContain(`<b class="mention">@user:${ID}:Ann **Lee**</b>`);
    expect(out).toContain('<b class="mention">@here</b>');
    expect(out).toContain('<b class="mention">@channel</b>');
    expect(out).toContain("<code>@here</code>");
    expect(out.match(/class="mention"/g)).toHaveLength(3);
    expect(out).toContain("me@here.com");
    expect(out).not.toContain("mailto:me@here.com");
  });

  it("shows @Name without a renderer, and not a link to the id", () => {
    const out = html(`ping @[Ann](${ID})`, {});
    expect(out).toContain("ping @Ann");
    expect(out).not.toContain("href");
  });

  it("finds mentions inside emphasis and lists, not after a word character", () => {
    const out = html("**@here** now\n\n- @channel\n\nmail@channel and x@here");
    expect(out.match(/class="mention"/g)).toHaveLength(2);
  });

  it("keeps every line break as typed", () => {
    expect(html("one\ntwo")).toMatch(/<p>one<br\/>\n?two<\/p>/);
  });

  it("leaves headings, indented code and raw HTML as the text typed", () => {
    const out = html("# notes\n\n    four spaces\n\n<div>x</div> <b>y</b>");
    expect(out).toContain("# notes");
    expect(out).not.toMatch(/<h\d/);
    expect(out).not.toContain("<pre>");
    expect(out).toContain("&lt;div&gt;x&lt;/div&gt;");
    expect(out).not.toContain("<b>");
  });

  it("shows an image's text, never loads it", () => {
    const out = html("![a cat](https://example.com/cat.png)");
    expect(out).not.toContain("<img");
    expect(out).toContain("a cat");
  });

  it("refuses a target whose escapes would lead elsewhere, in inline and reference links", () => {
    expect(html("[x](https://example.com\\@evil.example)")).not.toContain("href");
    expect(html("[x][r]\n\n[r]: https://example.com\\@evil.example")).not.toContain("href");
    expect(html("[x][r]\n\n[r]: https://example.com/")).toContain('href="https://example.com/"');
    expect(html("<https://example.com/a>")).toContain('href="https://example.com/a"');
  });

  it("renders GFM tables and keeps a fenced block's language", () => {
    const out = html("| a | b |\n| - | - |\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```");
    expect(out).toContain("<table>");
    expect(out).toContain("<td>1</td>");
    expect(out).toContain(
      '<pre data-lang="ts"><code class="hljs language-ts"><span class="hljs-keyword">const</span> x = ',
    );
  });
});
