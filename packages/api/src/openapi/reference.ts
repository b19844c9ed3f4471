import type { OpenAPIObject } from "trpc-to-openapi";

/**
 * A readable reference of the public API, rendered on the server from the OpenAPI document: no
 * script, no external asset (the page's CSP forbids both). Every text from the document is escaped.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
};

type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
};

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export const escapeHtml = (s: unknown): string =>
  String(s)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

/** `code` spans for backticks, paragraphs for blank lines, bold for **…**; everything escaped first. */
function prose(text: string | undefined): string {
  if (!text) return "";
  return text
    .split(/\n{2,}/)
    .map(
      (p) =>
        `<p>${escapeHtml(p)
          .replace(/`([^`]+)`/g, "<code>$1</code>")
          .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")}</p>`,
    )
    .join("");
}

const refName = (ref: string) => ref.split("/").pop() ?? ref;

function resolve(doc: OpenAPIObject, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return (doc.components?.schemas as Record<string, Schema> | undefined)?.[refName(schema.$ref)];
}

/** A short type name: `string (date-time)`, `Message[]`, `"a" | "b"`, `integer ≤ 100`. */
function typeName(schema: Schema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return alts.map(typeName).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const base = types
    .map((t) => {
      if (t === "array") return `${typeName(schema.items)}[]`;
      if (t === "string" && schema.format) return `string (${schema.format})`;
      return t;
    })
    .join(" | ");
  const bounds = [
    schema.minimum !== undefined && schema.minimum !== 0 ? `≥ ${schema.minimum}` : "",
    schema.maximum !== undefined && schema.maximum < 1e15 ? `≤ ${schema.maximum}` : "",
    schema.maxLength !== undefined ? `≤ ${schema.maxLength} chars` : "",
    schema.maxItems !== undefined ? `≤ ${schema.maxItems} items` : "",
  ].filter(Boolean);
  return [base || "object", ...bounds].join(", ");
}

function fieldsTable(doc: OpenAPIObject, schema: Schema | undefined): string {
  const s = resolve(doc, schema);
  if (!s?.properties) return `<p class="type">${escapeHtml(typeName(schema))}</p>`;
  const required = new Set(s.required ?? []);
  const rows = Object.entries(s.properties)
    .map(
      ([name, field]) =>
        `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? "" : ' <span class="opt">optional</span>'}</td>` +
        `<td>${escapeHtml(typeName(field))}</td><td>${escapeHtml(resolve(doc, field)?.description ?? field.description ?? "")}</td></tr>`,
    )
    .join("");
  return `<table><thead><tr><th>field</th><th>type</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationHtml(doc: OpenAPIObject, method: string, path: string, op: Operation): string {
  const id = escapeHtml(op.operationId ?? `${method}-${path}`);
  const params = op.parameters ?? [];
  const paramsHtml = params.length
    ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th></tr></thead><tbody>${params
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? "" : ' <span class="opt">optional</span>'}</td><td>${escapeHtml(p.in)}</td><td>${escapeHtml(typeName(p.schema))}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : "";
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const bodyHtml = body ? `<h4>Request body (JSON)</h4>${fieldsTable(doc, body)}` : "";
  const ok = op.responses?.["200"]?.content?.["application/json"]?.schema;
  const okHtml = ok ? `<h4>Response 200</h4>${fieldsTable(doc, ok)}` : "";
  return `<section class="op" id="${id}">
<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")}${method === "get" ? "" : ' <span class="scope">write key</span>'}</p>
${prose(op.description)}${paramsHtml}${bodyHtml}${okHtml}</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:960px;margin:0 auto;padding:24px}h1{margin:0 0 4px}code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:1px 4px;border-radius:4px}
nav ul{columns:2;padding-left:18px}.op{border-top:1px solid #e5e7eb;padding:8px 0}
.method{display:inline-block;min-width:64px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px;background:#6b7280}
.method.get{background:#2563eb}.method.post{background:#16a34a}.method.patch{background:#d97706}.method.delete{background:#dc2626}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}th,td{text-align:left;border-bottom:1px solid #f0f0f0;padding:4px 8px;vertical-align:top;font-size:14px}
.opt{color:#6b7280;font-size:12px}.scope{font-size:12px;color:#92400e;background:#fef3c7;border-radius:4px;padding:1px 6px}`;

/** The whole page. */
export function renderReference(doc: OpenAPIObject): string {
  const server = doc.servers?.[0]?.url ?? "/api/v1";
  const ops: { tag: string; method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) ops.push({ tag: op.tags?.[0] ?? "Other", method, path, op });
    }
  }
  const tags = [...(doc.tags ?? []).map((t) => t.name), ...ops.map((o) => o.tag)].filter(
    (t, i, all) => all.indexOf(t) === i && ops.some((o) => o.tag === t),
  );
  const nav = tags
    .map(
      (tag) =>
        `<li><a href="#tag-${escapeHtml(tag)}">${escapeHtml(tag)}</a> (${ops.filter((o) => o.tag === tag).length})</li>`,
    )
    .join("");
  const sections = tags
    .map(
      (tag) =>
        `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops
          .filter((o) => o.tag === tag)
          .map((o) => operationHtml(doc, o.method, o.path, o.op))
          .join("\n")}`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.info.title)} reference</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(doc.info.title)} <small>v${escapeHtml(doc.info.version)}</small></h1>
<p>Base URL: <code>${escapeHtml(server)}</code> · The OpenAPI document: <a href="openapi.json"><code>openapi.json</code></a></p>
${prose(doc.info.description)}
<h4>Example</h4>
<pre><code>curl -H "Authorization: Bearer nck_…" ${escapeHtml(server)}/channels</code></pre>
<nav><ul>${nav}</ul></nav>
${sections}
</main></body></html>`;
}
