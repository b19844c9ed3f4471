"use client";

import type { RouterOutputs } from "@nchat/api";
import { LoadError } from "@nchat/ui/alert";
import { MeterTable } from "@nchat/ui/metered-usage";
import { Spinner } from "@nchat/ui/primitives";
import { useQuery } from "@tanstack/react-query";
import { Card } from "@/components/ui";
import { formatDate, formatMoney, formatNumber } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

// A tenant's usage billed by quantity this period and Stripe's estimate of its next invoice.

type MeteredUsage = RouterOutputs["admin"]["tenants"]["usage"];

/** `admin.tenants.usage`: per billable meter and the next invoice's estimate (Stripe billing only). */
export function MeteredUsagePanel({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.admin.tenants.usage.queryOptions({ id: tenantId }));
  return (
    <Card
      title="Metered usage this period"
      id="metered-usage"
      actions={
        q.data?.periodStart && q.data.periodEnd ? (
          <span className="muted small">
            {formatDate(q.data.periodStart)} – {formatDate(q.data.periodEnd)}
          </span>
        ) : null
      }
    >
      {q.isPending ? (
        <Spinner label="Loading metered usage" />
      ) : q.isError ? (
        <LoadError error={q.error} onRetry={() => q.refetch()} />
      ) : !q.data.billed ? (
        <p className="muted">
          Nothing is billed by usage for this workspace (no subscription, or no metered price configured).
        </p>
      ) : (
        <MeteredUsageBody usage={q.data} />
      )}
    </Card>
  );
}

function MeteredUsageBody({ usage }: { usage: MeteredUsage }) {
  const currency = usage.estimate?.currency.toUpperCase() ?? "USD";
  return (
    <div className="stack">
      <MeterTable meters={usage.meters} testIdPrefix="admin-metered" />
      <h3 className="subheading">Estimated next invoice</h3>
      {usage.estimate ? (
        <div className="table-wrap" data-testid="admin-invoice-estimate">
          <table className="table">
            <tbody>
              {usage.estimate.lines.map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id of their own
                <tr key={i}>
                  <td>{l.description || "Invoice item"}</td>
                  <td className="mono">{l.quantity !== null ? formatNumber(l.quantity) : ""}</td>
                  <td className="mono">{formatMoney(l.amount)}</td>
                </tr>
              ))}
              <tr>
                <td>
                  <strong>Amount due</strong>
                </td>
                <td />
                <td className="mono">
                  <strong>{formatMoney(usage.estimate.amountDue)}</strong>
                  {currency !== "USD" ? ` ${currency}` : ""}
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      ) : (
        <div className="banner banner-warning" role="status">
          {usage.estimateError ?? "Stripe gave no estimate."}
        </div>
      )}
    </div>
  );
}
