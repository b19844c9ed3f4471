"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { PageHeader } from "@nchat/ui/primitives";
import Link from "next/link";
import { useState } from "react";
import { roleAtLeast, useSessionUser, useTenant } from "@/components/tenant";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { ApiKeysSection } from "./api-keys-section";
import { BrandingSection } from "./branding-section";
import { DomainsSection } from "./domains-section";
import { SavedNote, Section, useTenantUpdate } from "./section";
import { SecuritySection } from "./security-section";

const SECTIONS = [
  { id: "general", label: "General" },
  { id: "branding", label: "Branding" },
  { id: "domains", label: "Custom domain" },
  { id: "security", label: "Security" },
  { id: "api-keys", label: "API keys" },
] as const;

export function SettingsView() {
  const me = useSessionUser();
  if (!roleAtLeast(me.role, "admin"))
    return (
      <main className="page">
        <PageHeader title="Settings" />
        <Alert tone="info">Only workspace owners and admins can change settings.</Alert>
      </main>
    );
  const owner = me.role === "owner";
  return (
    <main className="page page-with-toc" aria-labelledby="settings-title">
      <PageHeader
        title={<span id="settings-title">Settings</span>}
        description="Your workspace's name, look, address, security and integrations."
        actions={
          <>
            <Link href="/settings/mail" className="btn btn-secondary">
              <Icon name="list" size={16} /> Mail deliveries
            </Link>
            <Link href="/settings/audit" className="btn btn-secondary">
              <Icon name="list" size={16} /> Audit log
            </Link>
          </>
        }
      />
      <nav className="toc" aria-label="Settings sections">
        {SECTIONS.map((s) => (
          <a key={s.id} href={`#${s.id}`}>
            {s.label}
          </a>
        ))}
      </nav>
      <div className="stack-lg">
        {!owner ? (
          <Alert tone="info">
            You are an admin: general, branding and security settings can be changed by the workspace owner
            only.
          </Alert>
        ) : null}
        <GeneralSection canEdit={owner} />
        <BrandingSection canEdit={owner} />
        <DomainsSection />
        <SecuritySection canEdit={owner} />
        <ApiKeysSection />
      </div>
    </main>
  );
}

function GeneralSection({ canEdit }: { canEdit: boolean }) {
  const tenant = useTenant();
  const [name, setName] = useState(tenant.name);
  const [saved, setSaved] = useState(false);
  const update = useTenantUpdate(() => setSaved(true));
  const errors = update.error ? fieldErrors(update.error) : {};
  const error = errors.name ?? (update.isError && !errors.name ? errorMessage(update.error) : null);
  return (
    <Section id="general" title="General" description="The workspace's name as members see it.">
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          update.mutate({ name: name.trim() });
        }}
      >
        <Field label="Workspace name" id="ws-name" error={error}>
          <input
            id="ws-name"
            value={name}
            maxLength={100}
            disabled={!canEdit}
            onChange={(e) => setName(e.target.value)}
            {...describedBy("ws-name", { error })}
          />
        </Field>
        <Field label="Address" id="ws-slug" help="The address cannot be changed.">
          <input id="ws-slug" value={tenant.slug} readOnly disabled />
        </Field>
        {canEdit ? (
          <div className="form-actions">
            <Button type="submit" loading={update.isPending} disabled={name.trim() === tenant.name}>
              Save name
            </Button>
            <SavedNote show={saved && !update.isPending} />
          </div>
        ) : null}
      </form>
    </Section>
  );
}
