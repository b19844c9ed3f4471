import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown, mentionsIn, safeHref } from "./markdown";

const html = (source: string) => renderToStaticMarkup(createElement(Markdown, { source }));
const ID = "0a1b2c3d-0000-4000-8000-000000000001";

describe("chat markdown", () => {
  it("never renders raw HTML from a message", () => {
    const out = html(`<img src=x onerror=alert(1)> <script>alert(1)</script>`);
    expect(out).not.toContain("<img");
    expect(out).not.toContain("<script");
    expect(out).toContain("&lt;script&gt;");
  });

  it("refuses javascript: and data: links", () => {
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,hi")).toBeNull();
    expect(safeHref("//evil.example")).toBeNull();
    const out = html("[click](javascript:alert(1))");
    expect(out).not.toContain("href");
    expect(out).toContain("click");
  });

  it("refuses link targets that a browser turns into another origin", () => {
    // Each of these resolves, in a browser, to a host other than the page's (WHATWG URL parsing:
    // "\\" reads as "/", tabs and newlines are dropped, leading controls and spaces are stripped).
    const crossOrigin = [
      "/\\evil.example",
      "\\\\evil.example",
      "\\/evil.example",
      "//evil.example",
      "/\\/evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r/evil.example",
      "\t//evil.example",
      " //evil.example",
      "\u0001//evil.example",
      "java\tscript:alert(1)",
      "java\nscript:alert(1)",
      "\u0000javascript:alert(1)",
    ];
    // Not cross-origin, but raw backslashes and whitespace in a target are refused all the same.
    const suspicious = ["/ /evil.example", "/w/a\\b", "https://example.com\\@evil.example"];
    for (const raw of [...crossOrigin, ...suspicious]) {
      expect(safeHref(raw), JSON.stringify(raw)).toBeNull();
      const out = html(`[x](${raw})`);
      expect(out, JSON.stringify(raw)).not.toContain("href");
    }
    // Percent-encoded backslashes and slashes stay in the path: the browser keeps them on this site.
    expect(safeHref("/%5Cevil.example")).toBe("/%5Cevil.example");
    expect(safeHref("/%2F/evil.example")).toBe("/%2F/evil.example");
  });

  it("keeps same-site paths, http(s) and mailto links", () => {
    expect(safeHref("/w/general")).toBe("/w/general");
    expect(safeHref("/w/general?m=1#top")).toBe("/w/general?m=1#top");
    expect(safeHref("https://example.com/a?b=c")).toBe("https://example.com/a?b=c");
    expect(safeHref("http://example.com")).toBe("http://example.com/");
    expect(safeHref("mailto:ann@example.com")).toBe("mailto:ann@example.com");
    const out = html("[general](/w/general)");
    expect(out).toContain('href="/w/general"');
    expect(out).not.toContain("target=");
  });

  it("renders bold, italic, strike, code, links and lists", () => {
    const out = html("**b** *i* ~~s~~ `c` [x](https://example.com)\n\n- one\n- two\n\n```\n<b>raw</b>\n```");
    expect(out).toContain("<strong>b</strong>");
    expect(out).toContain("<em>i</em>");
    expect(out).toContain("<s>s</s>");
    expect(out).toContain("<code>c</code>");
    expect(out).toContain('href="https://example.com/"');
    expect(out).toContain('rel="noopener noreferrer nofollow ugc"');
    expect(out).toContain("<li>one</li>");
    expect(out).toContain("<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>");
  });

  it("leaves snake_case and emails alone", () => {
    const out = html("a_b_c and me@here.com");
    expect(out).not.toContain("<em>");
    expect(mentionsIn("me@here.com").broadcast).toBe(false);
  });

  it("finds mentions outside code only", () => {
    expect(mentionsIn(`hey @[Ann](${ID}) \`@[Bob](${ID.replace("1", "2")})\` @here`)).toEqual({
      userIds: [ID],
      broadcast: true,
    });
  });

  it("highlights fenced code in the known languages only, as spans (never HTML from the message)", () => {
    const out = html("```ts\nconst n: number = 1; // <b>x</b>\n```");
    expect(out).toContain('<pre data-lang="ts"><code class="hljs language-ts">');
    expect(out).toContain('<span class="hljs-keyword">const</span>');
    expect(out).toContain('<span class="hljs-comment">// &lt;b&gt;x&lt;/b&gt;</span>');
    expect(out).not.toContain("<b>");
    expect(out).not.toMatch(/\n<\/code>/);
    // An unknown language (or none) stays plain code, as typed.
    expect(html("```cobol\nMOVE A TO B\n```")).toMatch(
      /<pre data-lang="cobol"><code class="[a-z -]*language-cobol">MOVE A TO B<\/code><\/pre>/,
    );
    expect(html("```\nplain\n```")).toContain("<pre><code>plain</code></pre>");
  });
});
