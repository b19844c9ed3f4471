"use client";
import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTenantFeature } from "@/components/tenant";
import { Alert, Button, CopyField, describedBy, Field } from "@/components/ui";
import { formatDate, relativeTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { Section } from "./section";

type Domain = RouterOutputs["domains"]["list"][number];

export function DomainsSection() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const feature = useTenantFeature("customDomains");
  const list = useQuery(trpc.domains.list.queryOptions());
  const [domain, setDomain] = useState("");
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.domains.list.queryKey() });
  const add = useMutation(
    trpc.domains.add.mutationOptions({
      onSuccess: () => {
        setDomain("");
        void invalidate();
      },
    }),
  );
  const addErrors = add.error ? fieldErrors(add.error) : {};
  const addError = addErrors.domain ?? (add.isError ? errorMessage(add.error) : null);
  return (
    <Section
      id="domains"
      title="Custom domain"
      description="Serve the workspace at your own address, such as chat.example.com."
      badge={
        !feature.loading && !feature.enabled && !feature.platformSetting ? (
          <Badge tone="brand">Pro</Badge>
        ) : null
      }
    >
      {feature.platformSetting ? (
        <Alert tone="warning" title="Not available on this server">
          Your plan includes custom domains, but they are turned off on this platform. The platform operator
          must set {feature.platformSetting}=true to enable them.
        </Alert>
      ) : null}
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (domain.trim()) add.mutate({ domain: domain.trim() });
        }}
      >
        <Field label="Domain" id="domain-add" error={addError}>
          <input
            id="domain-add"
            value={domain}
            placeholder="chat.example.com"
            autoCapitalize="none"
            spellCheck={false}
            onChange={(e) => setDomain(e.target.value)}
            {...describedBy("domain-add", { error: addError })}
          />
        </Field>
        <div className="form-actions">
          <Button type="submit" loading={add.isPending} disabled={!domain.trim()}>
            Add domain
          </Button>
        </div>
      </form>
      {list.isPending ? (
        <Spinner label="Loading domains" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.length === 0 ? (
        <p className="muted">No custom domain yet.</p>
      ) : (
        <ul className="domain-list">
          {list.data.map((d) => (
            <DomainItem key={d.id} domain={d} onChanged={invalidate} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function DomainItem({ domain, onChanged }: { domain: Domain; onChanged: () => void }) {
  const trpc = useTRPC();
  const verify = useMutation(trpc.domains.verify.mutationOptions({ onSettled: onChanged }));
  const remove = useMutation(trpc.domains.remove.mutationOptions({ onSuccess: onChanged }));
  const tone = domain.status === "verified" ? "success" : domain.status === "failed" ? "danger" : "warning";
  return (
    <li className="domain-item">
      <div className="domain-head">
        <strong className="mono">{domain.domain}</strong>
        <Badge tone={tone}>{domain.status}</Badge>
        <span className="muted small">
          {domain.verifiedAt
            ? `Verified ${formatDate(domain.verifiedAt)}`
            : domain.lastCheckedAt
              ? `Checked ${relativeTime(domain.lastCheckedAt)}`
              : "Not checked yet"}
        </span>
        <span className="spacer" />
        {domain.status !== "verified" ? (
          <Button size="sm" loading={verify.isPending} onClick={() => verify.mutate({ id: domain.id })}>
            Verify now
          </Button>
        ) : null}
        <Button
          size="sm"
          variant="ghost"
          loading={remove.isPending}
          onClick={() => remove.mutate({ id: domain.id })}
        >
          Remove
        </Button>
      </div>
      {domain.lastError ? <Alert tone="warning">{domain.lastError}</Alert> : null}
      {verify.isError ? <Alert tone="danger">{errorMessage(verify.error)}</Alert> : null}
      {domain.status !== "verified" ? (
        <div className="dns-record">
          <p className="muted small">
            Publish this <strong>{domain.record.type}</strong> record at your DNS provider, then press “Verify
            now”. Changes can take a while to propagate.
          </p>
          <CopyField id={`rec-name-${domain.id}`} label="Name" value={domain.record.name} />
          <CopyField id={`rec-value-${domain.id}`} label="Value" value={domain.record.value} />
        </div>
      ) : null}
    </li>
  );
}
