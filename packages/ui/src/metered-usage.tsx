import { Alert } from "./alert";
import { formatNumber } from "./format";

/** One billable meter of a workspace's period, as the billing API describes it. */
export type MeterRow = {
  meter: string;
  name: string;
  unit: string;
  configured: boolean;
  allowance: number;
  used: number;
  overage: number;
  reported: number;
  pending: number;
  problems: string[];
};

const amount = (n: number, unit: string) => `${formatNumber(n)} ${unit}`;

/**
 * The metered usage of a period (the owner's billing page and the admin tenant page): per
 * configured meter the use against the allowance, the overage, what was reported to Stripe and
 * what waits; then each meter's refused reports. Rows are `${testIdPrefix}-${meter}`.
 */
export function MeterTable({ meters, testIdPrefix }: { meters: MeterRow[]; testIdPrefix: string }) {
  return (
    <>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Meter</th>
              <th scope="col">Used / allowance</th>
              <th scope="col">Overage</th>
              <th scope="col">Reported to Stripe</th>
              <th scope="col">Waiting</th>
            </tr>
          </thead>
          <tbody>
            {meters
              .filter((m) => m.configured)
              .map((m) => (
                <tr key={m.meter} data-testid={`${testIdPrefix}-${m.meter}`}>
                  <td>{m.name}</td>
                  <td>
                    {formatNumber(m.used)} / {m.allowance < 0 ? "Unlimited" : amount(m.allowance, m.unit)}
                  </td>
                  <td data-testid={`${testIdPrefix}-${m.meter}-overage`}>{amount(m.overage, m.unit)}</td>
                  <td data-testid={`${testIdPrefix}-${m.meter}-reported`}>{amount(m.reported, m.unit)}</td>
                  <td>{amount(m.pending, m.unit)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      {meters
        .filter((m) => m.problems.length > 0)
        .map((m) => (
          <Alert key={m.meter} tone="danger" title={`${m.name}: Stripe did not accept every report`}>
            <ul>
              {m.problems.map((p, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the same message may repeat
                <li key={i}>{p}</li>
              ))}
            </ul>
          </Alert>
        ))}
    </>
  );
}
