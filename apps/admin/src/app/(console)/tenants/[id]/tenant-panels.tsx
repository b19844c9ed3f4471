"use client";

import type { RouterOutputs } from "@nchat/api";
import { errorMessage } from "@nchat/ui/errors";
import { Badge, EmptyState, Spinner } from "@nchat/ui/primitives";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Card } from "@/components/ui";
import {
  FEATURE_LABEL,
  formatBytes,
  formatDate,
  formatDateTime,
  formatNumber,
  formatRelative,
  RESOURCE_LABEL,
} from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

// The usage and domains panels of a tenant's page: its limits as meters, its features, its custom domains.

type Detail = RouterOutputs["admin"]["tenants"]["get"];

/** One limit of the tenant: used of allowed, as a bar. */
export function Meter({ resource, used, limit, exceeded, atLimit }: NonNullable<Detail["limits"]>[number]) {
  const unlimited = limit < 0;
  const pct = unlimited ? 0 : limit === 0 ? 100 : Math.min(100, (used / limit) * 100);
  const fmt = resource === "storage" ? formatBytes : formatNumber;
  const tone = exceeded ? "over" : atLimit ? "full" : pct >= 80 ? "warn" : "ok";
  return (
    <li className="meter">
      <div className="meter-label">
        <span>{RESOURCE_LABEL[resource] ?? resource}</span>
        <span className="mono small">
          {fmt(used)} / {unlimited ? "Unlimited" : fmt(limit)}
        </span>
      </div>
      <div className={`meter-track meter-${tone}`} aria-hidden="true">
        <span style={{ width: `${unlimited ? 2 : pct}%` }} />
      </div>
    </li>
  );
}

export function FeatureList({
  features,
  platformOff,
}: {
  features: Record<string, boolean>;
  /** Features this platform has off, with the setting that turns them on. */
  platformOff: Detail["platformOff"];
}) {
  const entries = Object.entries(FEATURE_LABEL);
  const blocked = entries.filter(([key]) => features[key] && platformOff.some((o) => o.feature === key));
  return (
    <div className="feature-list">
      <h3 className="subheading">Features</h3>
      <ul className="chips">
        {entries.map(([key, label]) => {
          const off = platformOff.find((o) => o.feature === key);
          const state = !features[key] ? "off" : off ? "platform" : "on";
          return (
            <li
              key={key}
              className={`chip ${state === "on" ? "chip-on" : "chip-off"}`}
              title={
                off && features[key]
                  ? `In plan, but disabled on this platform (set ${off.setting})`
                  : undefined
              }
            >
              <span aria-hidden="true">{state === "on" ? "✓" : state === "platform" ? "!" : "–"}</span>{" "}
              {label}
              <span className="sr-only">
                {state === "on"
                  ? " (on)"
                  : state === "platform"
                    ? " (in plan, disabled on this platform)"
                    : " (off)"}
              </span>
            </li>
          );
        })}
      </ul>
      {blocked.map(([key, label]) => (
        <p key={key} className="muted small" data-testid={`platform-off-${key}`}>
          {label}: in plan, but disabled on this platform (set{" "}
          <code>{platformOff.find((o) => o.feature === key)?.setting}</code>)
        </p>
      ))}
    </div>
  );
}

export function Domains({ detail }: { detail: Detail }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const verify = useMutation(
    trpc.admin.tenants.verifyDomain.mutationOptions({
      onSuccess: (r) => {
        if (r.status === "verified") toast.success("Domain verified", r.domain);
        else toast.info(`Domain ${r.status}`, r.lastError ?? r.domain);
        void queryClient.invalidateQueries(trpc.admin.pathFilter());
      },
      onError: (e) => toast.error("Verification failed", errorMessage(e)),
    }),
  );
  return (
    <Card title="Custom domains" className="card-flush">
      {detail.domains.length === 0 ? (
        <EmptyState title="No custom domains." />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">Status</th>
                <th scope="col">Verified</th>
                <th scope="col">Last checked</th>
                <th scope="col">TXT record</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {detail.domains.map((dom) => (
                <tr key={dom.id}>
                  <td className="mono">{dom.domain}</td>
                  <td>
                    <Badge
                      tone={
                        dom.status === "verified" ? "success" : dom.status === "failed" ? "danger" : "warning"
                      }
                    >
                      {dom.status}
                    </Badge>
                    {dom.lastError ? <div className="muted small">{dom.lastError}</div> : null}
                  </td>
                  <td>{formatDate(dom.verifiedAt)}</td>
                  <td title={formatDateTime(dom.lastCheckedAt)}>{formatRelative(dom.lastCheckedAt)}</td>
                  <td className="mono small">
                    {dom.record.name}
                    <br />
                    <span className="muted">{dom.record.value}</span>
                  </td>
                  <td className="num">
                    <button
                      type="button"
                      className="btn btn-secondary btn-sm"
                      disabled={verify.isPending}
                      onClick={() => verify.mutate({ id: detail.tenant.id, domainId: dom.id })}
                    >
                      {verify.isPending && verify.variables?.domainId === dom.id ? (
                        <Spinner label="Checking" />
                      ) : null}
                      Re-verify
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
