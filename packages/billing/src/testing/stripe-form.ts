/**
 * Stripe's request encoding (`application/x-www-form-urlencoded` bodies and GET query strings):
 * `items[0][price]=p&metadata[tenant_id]=t&expand[]=x` → `{ items: [{ price: "p" }], metadata: { tenant_id: "t" },
 * expand: ["x"] }`. A numeric segment makes an array, `[]` appends; every leaf stays the string that was
 * sent (`"12"`, `"true"`, `""`), so the parameter checker sees exactly what Stripe sees.
 */
export type StripeFormValue = string | StripeFormValue[] | { [key: string]: StripeFormValue };
export type StripeForm = { [key: string]: StripeFormValue };

type Container = StripeFormValue[] | { [key: string]: StripeFormValue };

/** `a[b][0][c]` → `["a", "b", "0", "c"]`; `a[]` → `["a", ""]`. Text after a malformed bracket stays in the key. */
function segments(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0 || !key.endsWith("]")) return [key];
  const rest = key.slice(open);
  const parts = [key.slice(0, open)];
  const re = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m.index !== consumed) return [key];
    parts.push(m[1]!);
    consumed = m.index + m[0].length;
  }
  return consumed === rest.length ? parts : [key];
}

const isIndex = (s: string) => /^\d+$/.test(s);

export function parseStripeForm(body: string): StripeForm {
  const out: StripeForm = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = segments(key);
    let node: Container = out;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const next = parts[i + 1];
      const fresh = (): Container => (next !== undefined && (next === "" || isIndex(next)) ? [] : {});
      if (Array.isArray(node)) {
        // `[]` appends; inside `a[][b]`, a new element starts when the last one already has `b`.
        let index: number;
        if (part === "") {
          const tail = node[node.length - 1];
          const reuse =
            !last &&
            next !== undefined &&
            tail !== undefined &&
            typeof tail === "object" &&
            !Array.isArray(tail) &&
            !(next in tail);
          index = reuse ? node.length - 1 : node.length;
        } else if (isIndex(part)) index = Number(part);
        else {
          // A named key under what began as an array: keep the elements as keys "0", "1", …
          const asObject: { [key: string]: StripeFormValue } = Object.fromEntries(Object.entries(node));
          replace(out, parts.slice(0, i), asObject);
          node = asObject;
          i--;
          continue;
        }
        if (last) node[index] = value;
        else {
          const existing = node[index];
          if (existing === undefined || typeof existing === "string")
            node[index] = fresh() as StripeFormValue;
          node = node[index] as Container;
        }
      } else {
        if (last) node[part] = value;
        else {
          const existing = node[part];
          if (existing === undefined || typeof existing === "string") node[part] = fresh() as StripeFormValue;
          node = node[part] as Container;
        }
      }
    }
  }
  return out;
}

/** Puts `value` at `path` (segments already walked, so every step exists). */
function replace(root: StripeForm, path: string[], value: StripeFormValue): void {
  let node: Container = root;
  path.forEach((part, i) => {
    const key = Array.isArray(node) ? (part === "" ? node.length - 1 : Number(part)) : part;
    if (i === path.length - 1) (node as Record<string | number, StripeFormValue>)[key] = value;
    else node = (node as Record<string | number, StripeFormValue>)[key] as Container;
  });
}
