"use client";

import { errorMessage } from "@nchat/ui/errors";
import { MeterTable } from "@nchat/ui/metered-usage";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "@/components/ui";
import { formatDate, formatMoney, formatNumber } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type MeteredUsage = RouterOutputs["billing"]["usage"];

/**
 * Usage billed by quantity this period (owners, Stripe billing with metered prices): per meter the
 * use against the plan's allowance, the overage, what was reported to Stripe and what waits to be
 * sent, and Stripe's estimate of the next invoice. Nothing when nothing is billed by usage.
 */
export function MeteredUsageSection() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.billing.usage.queryOptions(), staleTime: 30_000 });
  if (q.isPending) return null;
  if (q.isError)
    return (
      <section className="card" aria-labelledby="metered-title">
        <h2 id="metered-title">Usage this period</h2>
        <Alert tone="danger">{errorMessage(q.error)}</Alert>
      </section>
    );
  const usage = q.data;
  if (!usage.billed) return null;
  return (
    <>
      <section className="card stack" aria-labelledby="metered-title" data-testid="metered-usage">
        <h2 id="metered-title">Usage this period</h2>
        {usage.periodStart && usage.periodEnd ? (
          <p className="muted small">
            {formatDate(usage.periodStart)} – {formatDate(usage.periodEnd)}. Use above your plan&apos;s
            allowance is charged on the next invoice.
          </p>
        ) : null}
        <MeterTable meters={usage.meters} testIdPrefix="metered" />
      </section>
      <InvoiceEstimate usage={usage} />
    </>
  );
}

function InvoiceEstimate({ usage }: { usage: MeteredUsage }) {
  return (
    <section className="card stack" aria-labelledby="estimate-title" data-testid="invoice-estimate">
      <h2 id="estimate-title">Estimated next invoice</h2>
      {usage.estimate ? (
        <>
          <p>
            <strong data-testid="invoice-estimate-total">
              {formatMoney(usage.estimate.amountDue, usage.estimate.currency.toUpperCase())}
            </strong>
            {usage.periodEnd ? ` on ${formatDate(usage.periodEnd)}` : ""}
          </p>
          <table className="table">
            <tbody>
              {usage.estimate.lines.map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id of their own
                <tr key={i}>
                  <td>{l.description || "Invoice item"}</td>
                  <td>{l.quantity !== null ? formatNumber(l.quantity) : ""}</td>
                  <td>{formatMoney(l.amount, usage.estimate!.currency.toUpperCase())}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Stripe&apos;s preview: usage reported later is added.</p>
        </>
      ) : usage.estimateError ? (
        <Alert tone="warning">{usage.estimateError}</Alert>
      ) : (
        <p className="muted">Stripe gave no estimate.</p>
      )}
    </section>
  );
}
