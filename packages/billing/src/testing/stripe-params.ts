/**
 * Decides whether a request's parameters are ones real Stripe accepts, for the endpoints nchat calls.
 *
 * The allowed parameters come from stripe-params.generated.json, which scripts/generate-stripe-params.ts
 * reads from the params interfaces of the pinned `stripe` package (the types Stripe generates from its
 * API specification); a few rules the types cannot express are in SEMANTIC_RULES below, each with the
 * Stripe documentation it comes from. The answer has Stripe's error shape, messages and codes.
 *
 * Input is what `parseStripeForm` returns: every leaf is the string that was sent.
 */

import generated from "./stripe-params.generated.json";

/** One parameter's shape. `required`/`emptyable` appear only when true (`""` unsets an emptyable one). */
export type ParamSchema = (
  | { type: "string" | "integer" | "number" | "boolean" | "any" }
  | { type: "enum"; values: string[] }
  | { type: "object"; fields: Record<string, ParamSchema> }
  | { type: "map"; values: ParamSchema }
  | { type: "array"; of: ParamSchema }
  | { type: "anyOf"; of: ParamSchema[] }
) & { required?: true; emptyable?: true };

export type EndpointSpec = { params: string; fields: Record<string, ParamSchema> };
export type StripeParamsSpec = {
  header: { generatedBy: string; stripePackage: string; apiVersion: string; notes: string[] };
  endpoints: Record<string, EndpointSpec>;
};

/** A request Stripe refuses (HTTP 400), as Stripe words it. */
export type StripeParamError = {
  status: 400;
  type: "invalid_request_error";
  code?: string;
  param: string;
  message: string;
};
/** A method and path Stripe does not serve (HTTP 404). */
export type StripeRouteError = {
  status: 404;
  type: "invalid_request_error";
  code?: undefined;
  param?: undefined;
  message: string;
};

/** What `parseStripeForm` returns (strings, arrays and objects of them); anything else is refused. */
export type StripeParams = Readonly<Record<string, unknown>>;

export const STRIPE_PARAMS = generated as unknown as StripeParamsSpec;

type Route = { key: string; method: string; pattern: RegExp; literal: boolean };
const ROUTES: Route[] = Object.keys(STRIPE_PARAMS.endpoints)
  .map((key) => {
    const [method, template] = key.split(" ") as [string, string];
    const source = template
      .split("/")
      .map((seg) => (/^\{\w+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    return { key, method, pattern: new RegExp(`^${source}$`), literal: !template.includes("{") };
  })
  // A literal path (`/v1/invoices/create_preview`) wins over a template (`/v1/invoices/{id}`).
  .sort((a, b) => Number(b.literal) - Number(a.literal));

/**
 * The endpoint key ("POST /v1/subscriptions/{id}") serving a method and a concrete path (or the
 * template itself), or null when Stripe has no such route among the ones described.
 */
export function stripeEndpoint(method: string, pathTemplateOrPath: string): string | null {
  const m = method.toUpperCase();
  const p = pathTemplateOrPath.split("?")[0]!;
  return ROUTES.find((r) => r.method === m && r.pattern.test(p))?.key ?? null;
}

export function checkStripeParams(
  method: string,
  pathTemplateOrPath: string,
  params: StripeParams,
): StripeParamError | StripeRouteError | null {
  const endpoint = stripeEndpoint(method, pathTemplateOrPath);
  if (!endpoint) {
    return {
      status: 404,
      type: "invalid_request_error",
      message: `Unrecognized request URL (${method.toUpperCase()}: ${pathTemplateOrPath.split("?")[0]}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    };
  }
  const spec = STRIPE_PARAMS.endpoints[endpoint]!;
  const typed = checkFields(spec.fields, params, null);
  if (typed) return typed;
  for (const rule of SEMANTIC_RULES) {
    if (rule.endpoint !== endpoint) continue;
    const err = rule.check(params);
    if (err) return err;
  }
  return null;
}

/** The `{ error }` body Stripe answers with. */
export function stripeErrorBody(err: StripeParamError | StripeRouteError): {
  error: { type: string; code?: string; param?: string; message: string };
} {
  const { status: _status, ...error } = err;
  return { error };
}

// ─── Types ────────────────────────────────────────────────────────────────────────────────────────

const invalid = (param: string, message: string, code?: string): StripeParamError => ({
  status: 400,
  type: "invalid_request_error",
  ...(code ? { code } : {}),
  param,
  message,
});

const child = (parent: string | null, key: string | number) =>
  parent === null ? String(key) : `${parent}[${key}]`;

type Obj = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A hash sent with numeric keys (`metadata[0]=x`) parses as an array: read it back as keys. */
const asObject = (v: unknown): Obj | null =>
  isObject(v) ? v : Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : null;

function checkFields(
  fields: Record<string, ParamSchema>,
  value: Obj,
  parent: string | null,
): StripeParamError | null {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key)) {
      return invalid(
        child(parent, key),
        `Received unknown parameter: ${child(parent, key)}`,
        "parameter_unknown",
      );
    }
  }
  for (const [key, schema] of Object.entries(fields)) {
    if (schema.required && value[key] === undefined) {
      return invalid(
        child(parent, key),
        `Missing required param: ${child(parent, key)}.`,
        "parameter_missing",
      );
    }
  }
  for (const [key, v] of Object.entries(value)) {
    const err = checkValue(fields[key]!, v, child(parent, key));
    if (err) return err;
  }
  return null;
}

/** "a", "a or b", "a, b, or c" — how Stripe lists an enum's values. */
function oneOf(values: string[]): string {
  if (values.length <= 2) return values.join(" or ");
  return `${values.slice(0, -1).join(", ")}, or ${values[values.length - 1]}`;
}

function checkValue(schema: ParamSchema, value: unknown, param: string): StripeParamError | null {
  if (value === "") {
    if (schema.emptyable || schema.type === "any") return null;
    return invalid(
      param,
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      "parameter_invalid_empty",
    );
  }
  switch (schema.type) {
    case "any":
      return null;
    case "string":
      return typeof value === "string" ? null : invalid(param, `Invalid string: ${describe(value)}`);
    case "integer":
      return typeof value === "string" && /^-?\d+$/.test(value)
        ? null
        : invalid(param, `Invalid integer: ${describe(value)}`, "parameter_invalid_integer");
    case "number":
      return typeof value === "string" && /^-?(\d+(\.\d*)?|\.\d+)$/.test(value)
        ? null
        : invalid(param, `Invalid decimal: ${describe(value)}`);
    case "boolean":
      return value === "true" || value === "false"
        ? null
        : invalid(param, `Invalid boolean: ${describe(value)}`);
    case "enum":
      return typeof value === "string" && schema.values.includes(value)
        ? null
        : invalid(param, `Invalid ${param}: must be one of ${oneOf(schema.values)}`);
    case "object": {
      const obj = asObject(value);
      return obj ? checkFields(schema.fields, obj, param) : invalid(param, "Invalid object");
    }
    case "map": {
      const obj = asObject(value);
      if (!obj) return invalid(param, "Invalid object");
      for (const [key, v] of Object.entries(obj)) {
        const err = checkValue(schema.values, v, child(param, key));
        if (err) return err;
      }
      return null;
    }
    case "array": {
      const list = Array.isArray(value)
        ? value
        : isObject(value) && Object.keys(value).every((k) => /^\d+$/.test(k))
          ? Object.values(value)
          : null;
      if (!list) return invalid(param, "Invalid array");
      for (const [i, v] of list.entries()) {
        if (v === undefined) continue; // a sparse index (`a[0]`, `a[2]`)
        const err = checkValue(schema.of, v, child(param, i));
        if (err) return err;
      }
      return null;
    }
    case "anyOf": {
      let first: StripeParamError | null = null;
      let sameShape: StripeParamError | null = null;
      for (const alt of schema.of) {
        const err = checkValue(alt, value, param);
        if (!err) return null;
        first ??= err;
        // Report the alternative of the value's own shape (a bad timestamp, not "not an object").
        if (
          !sameShape &&
          shapeOf(alt) === (typeof value === "string" ? "scalar" : "structure") &&
          alt.type !== "enum"
        ) {
          sameShape = err;
        }
      }
      return sameShape ?? first;
    }
  }
}

const shapeOf = (schema: ParamSchema) =>
  schema.type === "object" || schema.type === "map" || schema.type === "array" ? "structure" : "scalar";

const describe = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

// ─── Documented rules the types cannot express ───────────────────────────────────────────────────

type SemanticRule = {
  endpoint: string;
  /** The Stripe documentation the rule comes from. */
  source: string;
  check: (params: StripeParams) => StripeParamError | null;
};

/**
 * The attributes Stripe accepts together with `payment_behavior=pending_if_incomplete` on a
 * subscription update ("Supported attributes"): https://docs.stripe.com/billing/subscriptions/pending-updates-reference#supported-attributes
 * For `items`, the list names `price` and `quantity`; an item's `id` says which item they change.
 */
const PENDING_UPDATE_ATTRIBUTES = new Set([
  "expand",
  "payment_behavior",
  "proration_behavior",
  "proration_date",
  "billing_cycle_anchor",
  "items",
  "trial_end",
  "trial_from_plan",
  "add_invoice_items",
]);
const PENDING_UPDATE_ITEM_ATTRIBUTES = new Set(["id", "price", "quantity"]);

/** The meter's default payload keys (customer mapping, value settings). */
export const DEFAULT_METER_PAYLOAD_KEYS = ["stripe_customer_id", "value"] as const;

const pendingUnsupported = (param: string) =>
  invalid(
    param,
    `When \`payment_behavior\` is set to \`pending_if_incomplete\`, you can only pass supported params. \`${param}\` is not supported. See https://stripe.com/docs/billing/subscriptions/pending-updates-reference#supported-attributes for more details.`,
  );

export const SEMANTIC_RULES: SemanticRule[] = [
  {
    // A Checkout Session on Stripe's hosted page (`ui_mode` absent or `hosted_page`, the default)
    // sends the customer to `success_url` when payment or setup completes, and the parameter is not
    // allowed with `embedded_page` or `elements` (the params documentation of `success_url`).
    endpoint: "POST /v1/checkout/sessions",
    source:
      "https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-success_url ; https://docs.stripe.com/payments/checkout/custom-success-page?payment-ui=stripe-hosted",
    check: (params) => {
      const uiMode = params.ui_mode ?? "hosted_page";
      if (uiMode === "hosted_page" && params.success_url === undefined) {
        return invalid("success_url", "Missing required param: success_url.", "parameter_missing");
      }
      if ((uiMode === "embedded_page" || uiMode === "elements") && params.success_url !== undefined) {
        return invalid(
          "success_url",
          `success_url is not allowed when ui_mode is ${uiMode}; use return_url.`,
        );
      }
      return null;
    },
  },
  {
    endpoint: "POST /v1/subscriptions/{id}",
    source: "https://docs.stripe.com/billing/subscriptions/pending-updates-reference#supported-attributes",
    check: (params) => {
      if (params.payment_behavior !== "pending_if_incomplete") return null;
      for (const key of Object.keys(params)) {
        if (!PENDING_UPDATE_ATTRIBUTES.has(key)) return pendingUnsupported(key);
      }
      const items = params.items;
      const list = Array.isArray(items) ? items : isObject(items) ? Object.values(items) : [];
      for (const [i, item] of list.entries()) {
        if (!isObject(item)) continue;
        for (const key of Object.keys(item)) {
          if (!PENDING_UPDATE_ITEM_ATTRIBUTES.has(key)) return pendingUnsupported(`items[${i}][${key}]`);
        }
      }
      return null;
    },
  },
  {
    // The payload must hold the meter's customer mapping key and value key — by default
    // `stripe_customer_id` and `value`.
    endpoint: "POST /v1/billing/meter_events",
    source:
      "https://docs.stripe.com/api/billing/meter-event/create ; https://docs.stripe.com/billing/subscriptions/usage-based/meters/configure#meter-configuration-attributes",
    check: (params) => {
      const payload = isObject(params.payload) ? params.payload : {};
      for (const key of DEFAULT_METER_PAYLOAD_KEYS) {
        if (payload[key] === undefined) {
          return invalid(`payload[${key}]`, `Missing required param: payload[${key}].`, "parameter_missing");
        }
      }
      return null;
    },
  },
];
