/**
 * Writes src/testing/stripe-params.generated.json: the request parameters real Stripe accepts on the
 * endpoints nchat calls, read with the TypeScript compiler from the params interfaces of the pinned
 * `stripe` package (what Stripe publishes for the API version that package pins). The strict test
 * double checks every request against it (src/testing/stripe-params.ts).
 *
 *   pnpm --filter @nchat/billing stripe:params
 *
 * A test regenerates it in memory and fails when the committed file is stale (a new `stripe` version).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { EndpointSpec, ParamSchema, StripeParamsSpec } from "../src/testing/stripe-params";

/** Endpoint ("METHOD /path/{id}") → the params interface, as `Stripe.<name>`. */
export const ENDPOINTS: Record<string, string> = {
  "POST /v1/customers": "CustomerCreateParams",
  "GET /v1/customers/{id}": "CustomerRetrieveParams",
  "POST /v1/customers/{id}": "CustomerUpdateParams",
  "DELETE /v1/customers/{id}": "CustomerDeleteParams",
  "POST /v1/subscriptions": "SubscriptionCreateParams",
  "GET /v1/subscriptions": "SubscriptionListParams",
  "GET /v1/subscriptions/{id}": "SubscriptionRetrieveParams",
  "POST /v1/subscriptions/{id}": "SubscriptionUpdateParams",
  "DELETE /v1/subscriptions/{id}": "SubscriptionCancelParams",
  "POST /v1/checkout/sessions": "Checkout.SessionCreateParams",
  "POST /v1/billing_portal/sessions": "BillingPortal.SessionCreateParams",
  "POST /v1/billing/meter_events": "Billing.MeterEventCreateParams",
  "GET /v1/billing/meters/{id}/event_summaries": "Billing.MeterListEventSummariesParams",
  "GET /v1/invoices": "InvoiceListParams",
  "GET /v1/invoices/{id}": "InvoiceRetrieveParams",
  "POST /v1/invoices/create_preview": "InvoiceCreatePreviewParams",
  "GET /v1/prices/{id}": "PriceRetrieveParams",
};

/**
 * Object nesting described in full; deeper objects are "any" (a guard against recursive types: at
 * stripe 23.1.0 no branch of these endpoints is that deep, the deepest is 6).
 */
export const MAX_DEPTH = 8;

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");
export const OUTPUT = path.join(packageDir, "src/testing/stripe-params.generated.json");

/**
 * TypeScript has one number type. A number parameter is an integer unless its documentation calls it
 * a decimal or a float without calling it an integer ("Non-negative integer … use `quantity_decimal`").
 */
const isDecimalDoc = (doc: string) => /\b(decimal|float)\b/i.test(doc) && !/\binteger\b/i.test(doc);

export function generateStripeParams(): StripeParamsSpec {
  const require = createRequire(path.join(packageDir, "package.json"));
  // The package's exports hide package.json: walk up from its entry point.
  let stripeDir = path.dirname(require.resolve("stripe"));
  while (!existsSync(path.join(stripeDir, "package.json")) || path.basename(stripeDir) !== "stripe") {
    stripeDir = path.dirname(stripeDir);
  }
  const stripePkg = JSON.parse(readFileSync(path.join(stripeDir, "package.json"), "utf8")) as {
    version: string;
  };
  const apiVersionSource = readFileSync(path.join(stripeDir, "cjs/apiVersion.js"), "utf8");
  const apiVersion = /ApiVersion\s*=\s*['"]([^'"]+)['"]/.exec(apiVersionSource)?.[1] ?? "unknown";

  // A virtual module beside this package's sources names every params type, so `stripe` resolves
  // exactly as the package's own code resolves it.
  const virtualFile = path.join(packageDir, "src/__stripe_params__.ts");
  const names = Object.values(ENDPOINTS);
  const source = [
    'import type Stripe from "stripe";',
    ...names.map((n, i) => `export type P${i} = Stripe.${n};`),
  ].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, lang, ...rest) =>
    path.resolve(fileName) === virtualFile
      ? ts.createSourceFile(fileName, source, lang, true)
      : getSourceFile(fileName, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === virtualFile || fileExists(f);
  const program = ts.createProgram([virtualFile], options, host);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(virtualFile)!;
  const aliases = sf.statements.filter(ts.isTypeAliasDeclaration);

  const endpoints: Record<string, EndpointSpec> = {};
  Object.keys(ENDPOINTS).forEach((endpoint, i) => {
    const alias = aliases[i]!;
    const type = checker.getTypeAtLocation(alias.type);
    if (type.getProperties().length === 0 && !(type.flags & ts.TypeFlags.Object)) {
      throw new Error(`Stripe.${names[i]} is not an interface of the stripe package`);
    }
    endpoints[endpoint] = { params: names[i]!, fields: fieldsOf(checker, type, 1) };
  });
  return {
    header: {
      generatedBy:
        "packages/billing/scripts/generate-stripe-params.ts (pnpm --filter @nchat/billing stripe:params)",
      stripePackage: stripePkg.version,
      apiVersion,
      notes: [
        "Read from the params interfaces of the stripe package's TypeScript types; do not edit by hand.",
        `Objects nested deeper than ${MAX_DEPTH} levels would be "any" (accepted unchecked); none is at this version.`,
        'Enums drop the SDK\'s open `OtherString` member; emptyable means Stripe.Emptyable ("" unsets).',
        "TypeScript has one number type: a number is an integer unless its documentation says decimal or float.",
        "Stripe.Decimal parameters are numbers (decimal strings on the wire).",
      ],
    },
    endpoints: sortKeys(endpoints),
  };
}

function fieldsOf(checker: ts.TypeChecker, type: ts.Type, depth: number): Record<string, ParamSchema> {
  const out: Record<string, ParamSchema> = {};
  for (const prop of checker.getPropertiesOfType(type)) {
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
    const doc = ts.displayPartsToString(prop.getDocumentationComment(checker));
    const schema = describe(checker, propType, depth, doc);
    if (!(prop.flags & ts.SymbolFlags.Optional)) schema.required = true;
    out[prop.getName()] = schema;
  }
  return sortKeys(out);
}

function isDecimalClass(type: ts.Type): boolean {
  const name = (type.aliasSymbol ?? type.getSymbol())?.getName();
  return name === "Decimal" || name === "DecimalImpl";
}

/** `string & Record<never, never>`: the SDK's "and any other string" member of open enums. */
function isOtherString(type: ts.Type): boolean {
  return (
    type.isIntersection() && type.types.some((t) => (t.flags & ts.TypeFlags.String) !== 0) // OtherString
  );
}

function describe(checker: ts.TypeChecker, type: ts.Type, depth: number, doc: string): ParamSchema {
  const members = type.isUnion() ? type.types : [type];
  let emptyable = false;
  const literals: string[] = [];
  const kinds: ParamSchema[] = [];
  let sawBoolean = false;
  for (const m of members) {
    if (m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) {
      if (m.flags & ts.TypeFlags.Null) emptyable = true;
      continue;
    }
    if (m.isStringLiteral()) {
      if (m.value === "") emptyable = true;
      else literals.push(m.value);
      continue;
    }
    if (m.flags & ts.TypeFlags.BooleanLiteral) {
      if (!sawBoolean) kinds.push({ type: "boolean" });
      sawBoolean = true;
      continue;
    }
    if (isOtherString(m)) continue;
    kinds.push(describeOne(checker, m, depth, doc));
  }
  if (literals.length > 0) kinds.unshift({ type: "enum", values: [...new Set(literals)].sort() });
  const distinct = dedupe(kinds);
  const schema: ParamSchema =
    distinct.length === 0
      ? { type: "any" }
      : distinct.length === 1
        ? distinct[0]!
        : { type: "anyOf", of: distinct };
  if (emptyable) schema.emptyable = true;
  return schema;
}

function describeOne(checker: ts.TypeChecker, type: ts.Type, depth: number, doc: string): ParamSchema {
  if (type.flags & ts.TypeFlags.String) return { type: "string" };
  if (type.flags & ts.TypeFlags.Number) return { type: isDecimalDoc(doc) ? "number" : "integer" };
  if (type.flags & ts.TypeFlags.Boolean) return { type: "boolean" };
  if (type.isNumberLiteral()) return { type: "integer" };
  if (isDecimalClass(type)) return { type: "number" };
  if (checker.isArrayType(type)) {
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    return { type: "array", of: element ? describe(checker, element, depth, doc) : { type: "any" } };
  }
  if (type.flags & ts.TypeFlags.Object) {
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index && checker.getPropertiesOfType(type).length === 0) {
      return { type: "map", values: describe(checker, index.type, depth + 1, "") };
    }
    if (depth >= MAX_DEPTH) return { type: "any" };
    return { type: "object", fields: fieldsOf(checker, type, depth + 1) };
  }
  return { type: "any" };
}

function dedupe(schemas: ParamSchema[]): ParamSchema[] {
  const seen = new Set<string>();
  return schemas.filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const LINE_WIDTH = 110;

/**
 * The file's text, compact and in the repository formatter's style: a value stays on one line when
 * it fits in the line width, otherwise one member per line.
 */
export function renderStripeParams(spec: StripeParamsSpec): string {
  return `${render(spec, 0, 0)}\n`;
}

/** `suffixWidth`: the comma after a member that is not the last. */
function render(value: unknown, indent: number, prefixWidth: number, suffixWidth = 0): string {
  const inline = renderInline(value);
  if (
    indent + prefixWidth + inline.length + suffixWidth <= LINE_WIDTH ||
    value === null ||
    typeof value !== "object"
  ) {
    return inline;
  }
  const pad = " ".repeat(indent + 2);
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((v) => [null, v])
    : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return inline;
  const lines = entries.map(([key, v], i) => {
    const prefix = key === null ? "" : `${JSON.stringify(key)}: `;
    return `${pad}${prefix}${render(v, indent + 2, prefix.length, i < entries.length - 1 ? 1 : 0)}`;
  });
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${lines.join(",\n")}\n${" ".repeat(indent)}${close}`;
}

function renderInline(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(renderInline).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${renderInline(v)}`).join(", ")} }`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const spec = generateStripeParams();
  writeFileSync(OUTPUT, renderStripeParams(spec));
  console.log(
    `wrote ${path.relative(process.cwd(), OUTPUT)} (${Object.keys(spec.endpoints).length} endpoints)`,
  );
}
