"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import {
  API_KEY_SCOPE_LABELS,
  API_KEY_SCOPES,
  type CreateApiKeyFormValues,
  type CreateApiKeyRequest,
  createApiKeyInput,
} from "@nchat/protocol/api-keys";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, PageHeader, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type CSSProperties, type FormEvent, type ReactNode, useState } from "react";
import { useForm } from "react-hook-form";
import { TenantBrand } from "@/components/brand";
import { roleAtLeast, useSessionUser, useTenant, useTenantFeature } from "@/components/tenant";
import { Alert, Button, CopyField, describedBy, Field } from "@/components/ui";
import { brandingStyle, isHexColor } from "@/lib/color";
import { formatDate, relativeTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

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

function Section({
  id,
  title,
  description,
  children,
  badge,
}: {
  id: string;
  title: string;
  description?: string;
  children: ReactNode;
  badge?: ReactNode;
}) {
  return (
    <section id={id} className="card settings-section" aria-labelledby={`${id}-title`}>
      <header className="section-head">
        <div>
          <h2 id={`${id}-title`}>
            {title} {badge}
          </h2>
          {description ? <p className="muted">{description}</p> : null}
        </div>
      </header>
      {children}
    </section>
  );
}

function useTenantUpdate(onDone?: () => void) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.tenant.update.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.tenant.public.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.ui.settings.queryKey() });
        // The layout (branding CSS variables, names) renders on the server: render it again.
        router.refresh();
        onDone?.();
      },
    }),
  );
}

function SavedNote({ show }: { show: boolean }) {
  return show ? (
    <span className="saved-note" role="status">
      <Icon name="check" size={14} /> Saved
    </span>
  ) : null;
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

type Branding = { appName: string; primaryColor: string; secondaryColor: string; logoUrl: string };

function BrandingSection({ canEdit }: { canEdit: boolean }) {
  const tenant = useTenant();
  const feature = useTenantFeature("customBranding");
  const initial: Branding = {
    appName: tenant.branding.appName ?? "",
    primaryColor: tenant.branding.primaryColor ?? "#4f46e5",
    secondaryColor: tenant.branding.secondaryColor ?? "#1e1b4b",
    logoUrl: tenant.branding.logoUrl ?? "",
  };
  const [b, setB] = useState<Branding>(initial);
  const [saved, setSaved] = useState(false);
  const update = useTenantUpdate(() => setSaved(true));
  const errors = update.error ? fieldErrors(update.error) : {};
  const formError = update.isError && Object.keys(errors).length === 0 ? errorMessage(update.error) : null;
  const editable = canEdit && feature.enabled;
  const set = (k: keyof Branding) => (v: string) => {
    setSaved(false);
    setB((x) => ({ ...x, [k]: v }));
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    // An emptied field is sent empty: the server removes it (back to the workspace name, no logo).
    const branding: Partial<Branding> = { appName: b.appName.trim(), logoUrl: b.logoUrl.trim() };
    if (isHexColor(b.primaryColor)) branding.primaryColor = b.primaryColor;
    if (isHexColor(b.secondaryColor)) branding.secondaryColor = b.secondaryColor;
    setSaved(false);
    update.mutate({ branding });
  }

  const preview = brandingStyle({
    primaryColor: b.primaryColor,
    secondaryColor: b.secondaryColor,
  }) as CSSProperties;
  return (
    <Section
      id="branding"
      title="Branding"
      description="Your name, colours and logo across the whole workspace — sign-in page included."
      badge={!feature.loading && !feature.enabled ? <Badge tone="brand">Pro</Badge> : null}
    >
      {!feature.loading && !feature.enabled ? (
        <Alert
          tone="info"
          action={
            canEdit ? (
              <Link className="btn btn-primary btn-sm" href="/billing">
                Upgrade
              </Link>
            ) : null
          }
        >
          Custom branding is not included in the {feature.planName} plan.
        </Alert>
      ) : null}
      <div className="branding-grid">
        <form className="form" onSubmit={onSubmit} id="branding-form">
          {formError ? <Alert tone="danger">{formError}</Alert> : null}
          <Field
            label="App name"
            id="brand-app"
            optional
            error={errors["branding.appName"]}
            help="Shown instead of the workspace name."
          >
            <input
              id="brand-app"
              value={b.appName}
              maxLength={60}
              disabled={!editable}
              placeholder={tenant.name}
              onChange={(e) => set("appName")(e.target.value)}
              {...describedBy("brand-app", { error: errors["branding.appName"], help: true })}
            />
          </Field>
          <div className="form-row">
            <ColorField
              label="Primary colour"
              id="brand-primary"
              value={b.primaryColor}
              onChange={set("primaryColor")}
              disabled={!editable}
              error={errors["branding.primaryColor"]}
            />
            <ColorField
              label="Secondary colour"
              id="brand-secondary"
              value={b.secondaryColor}
              onChange={set("secondaryColor")}
              disabled={!editable}
              error={errors["branding.secondaryColor"]}
            />
          </div>
          <Field
            label="Logo URL"
            id="brand-logo"
            optional
            error={errors["branding.logoUrl"]}
            help="An https:// image, square, at least 64×64."
          >
            <input
              id="brand-logo"
              type="url"
              value={b.logoUrl}
              disabled={!editable}
              placeholder="https://example.com/logo.png"
              onChange={(e) => set("logoUrl")(e.target.value)}
              {...describedBy("brand-logo", { error: errors["branding.logoUrl"], help: true })}
            />
          </Field>
          {editable ? (
            <div className="form-actions">
              <Button type="submit" loading={update.isPending}>
                Save branding
              </Button>
              <SavedNote show={saved && !update.isPending} />
            </div>
          ) : null}
        </form>
        <figure className="brand-preview" style={preview}>
          <figcaption className="sr-only">Preview</figcaption>
          <div className="brand-preview-sidebar">
            <TenantBrand
              tenant={{
                name: tenant.name,
                branding: {
                  ...(b.appName.trim() ? { appName: b.appName.trim() } : {}),
                  ...(/^https:\/\/./.test(b.logoUrl) ? { logoUrl: b.logoUrl } : {}),
                },
              }}
            />
            <span className="brand-preview-link active"># general</span>
            <span className="brand-preview-link"># random</span>
          </div>
          <div className="brand-preview-main">
            <span className="brand-preview-line" />
            <span className="brand-preview-line short" />
            <span className="btn btn-primary btn-sm">Button</span>
          </div>
        </figure>
      </div>
    </Section>
  );
}

function ColorField({
  label,
  id,
  value,
  onChange,
  disabled,
  error,
}: {
  label: string;
  id: string;
  value: string;
  onChange: (v: string) => void;
  disabled: boolean;
  error?: string;
}) {
  const err = error ?? (value && !isHexColor(value) ? "A colour is #rrggbb." : undefined);
  return (
    <Field label={label} id={id} error={err}>
      <div className="color-input">
        <input
          type="color"
          aria-label={`${label} picker`}
          value={isHexColor(value) ? value : "#000000"}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        />
        <input
          id={id}
          className="mono"
          value={value}
          maxLength={7}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value.trim())}
          {...describedBy(id, { error: err })}
        />
      </div>
    </Field>
  );
}

type Domain = RouterOutputs["domains"]["list"][number];

function DomainsSection() {
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

type Security = RouterOutputs["ui"]["settings"];

function SecuritySection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.ui.settings.queryOptions());
  return (
    <Section
      id="security"
      title="Security"
      description="Sessions, guests, sign-up domains and message retention."
    >
      {q.isPending ? (
        <Spinner label="Loading security settings" />
      ) : q.isError ? (
        <Alert tone="danger">{errorMessage(q.error)}</Alert>
      ) : (
        <SecurityForm initial={q.data} canEdit={canEdit} />
      )}
    </Section>
  );
}

function SecurityForm({ initial, canEdit }: { initial: Security; canEdit: boolean }) {
  const [timeoutHours, setTimeoutHours] = useState(
    String(Math.round((initial.sessionTimeoutMinutes / 60) * 10) / 10),
  );
  const [guests, setGuests] = useState(initial.allowGuestAccess);
  const [domains, setDomains] = useState(initial.allowedEmailDomains.join(", "));
  const [retention, setRetention] = useState(
    initial.messageRetentionDays ? String(initial.messageRetentionDays) : "",
  );
  const [twofa, setTwofa] = useState(initial.require2fa);
  const [saved, setSaved] = useState(false);
  const update = useTenantUpdate(() => setSaved(true));
  const errors = update.error ? fieldErrors(update.error) : {};
  const formError = update.isError && Object.keys(errors).length === 0 ? errorMessage(update.error) : null;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const hours = Number(timeoutHours);
    update.mutate({
      settings: {
        sessionTimeoutMinutes: Number.isFinite(hours)
          ? Math.round(hours * 60)
          : initial.sessionTimeoutMinutes,
        allowGuestAccess: guests,
        allowedEmailDomains: domains
          .split(/[\s,]+/)
          .map((d) => d.trim())
          .filter(Boolean),
        messageRetentionDays: retention.trim() ? Number(retention) : null,
        require2fa: twofa,
      },
    });
  }

  const err = (k: string) =>
    errors[`settings.${k}`] ?? Object.entries(errors).find(([p]) => p.startsWith(`settings.${k}`))?.[1];
  return (
    <form className="form" onSubmit={onSubmit}>
      {formError ? <Alert tone="danger">{formError}</Alert> : null}
      <div className="form-row">
        <Field
          label="Session length (hours)"
          id="sec-timeout"
          error={err("sessionTimeoutMinutes")}
          help="Members are signed out after this long without activity: 1 to 2,160 hours (90 days)."
        >
          <input
            id="sec-timeout"
            type="number"
            inputMode="decimal"
            min={1}
            max={24 * 90}
            step="any"
            value={timeoutHours}
            disabled={!canEdit}
            onChange={(e) => setTimeoutHours(e.target.value)}
            {...describedBy("sec-timeout", { error: err("sessionTimeoutMinutes"), help: true })}
          />
        </Field>
        <Field
          label="Delete messages after (days)"
          id="sec-retention"
          optional
          error={err("messageRetentionDays")}
          help="Empty keeps messages forever."
        >
          <input
            id="sec-retention"
            type="number"
            min={1}
            max={3650}
            value={retention}
            disabled={!canEdit}
            onChange={(e) => setRetention(e.target.value)}
            {...describedBy("sec-retention", { error: err("messageRetentionDays"), help: true })}
          />
        </Field>
      </div>
      <Field
        label="Allowed email domains"
        id="sec-domains"
        optional
        error={err("allowedEmailDomains")}
        help="Only addresses at these domains can be invited or changed to (exactly these; comma-separated, e.g. example.com). People already here stay. Empty allows any address."
      >
        <input
          id="sec-domains"
          value={domains}
          disabled={!canEdit}
          placeholder="example.com, example.org"
          onChange={(e) => setDomains(e.target.value)}
          {...describedBy("sec-domains", { error: err("allowedEmailDomains"), help: true })}
        />
      </Field>
      <label className="switch-row">
        <input
          type="checkbox"
          checked={guests}
          disabled={!canEdit}
          onChange={(e) => setGuests(e.target.checked)}
        />
        <span>
          <strong>Allow guests</strong>
          <span className="muted">
            Guests see only the channels they are added to. While this is off, nobody can be invited, join or
            be made a guest (pending guest invitations stop working); guests who already joined keep their
            access until you remove them or change their role.
          </span>
        </span>
      </label>
      <label className="switch-row">
        <input
          type="checkbox"
          checked={twofa}
          disabled={!canEdit}
          onChange={(e) => setTwofa(e.target.checked)}
        />
        <span>
          <strong>Require two-factor authentication</strong>
          <span className="muted">Members must set up a second factor to sign in.</span>
        </span>
      </label>
      {twofa && !initial.require2fa ? <TwoFactorRollout /> : null}
      {canEdit ? (
        <div className="form-actions">
          <Button type="submit" loading={update.isPending}>
            Save security settings
          </Button>
          <SavedNote show={saved && !update.isPending} />
        </div>
      ) : null}
    </form>
  );
}

/** Before requiring a second factor: who does not have one yet, and what happens to them (and to me). */
function TwoFactorRollout() {
  const trpc = useTRPC();
  const me = useSessionUser();
  const members = useQuery(trpc.members.list.queryOptions());
  if (!members.data) return null;
  const without = members.data.members.filter((m) => !m.twoFactor);
  if (without.length === 0) return null;
  const mine = without.some((m) => m.id === me.id);
  const others = without.length - (mine ? 1 : 0);
  return (
    <Alert tone="warning" title="Not everyone has it yet">
      <span data-testid="two-factor-rollout">
        {others > 0
          ? `${others} ${others === 1 ? "member has" : "members have"} no second factor yet: after saving, their next page asks them to set it up before anything else. `
          : ""}
        {mine ? (
          <>
            You have none either: you will be asked right after saving (or{" "}
            <Link href="/profile">set it up in your profile</Link> first).
          </>
        ) : null}
      </span>
    </Alert>
  );
}

const API_KEY_DEFAULTS: CreateApiKeyFormValues = { name: "", scope: "read" };

/** The workspace's API keys (also on Profile, for those who may manage them). */
export function ApiKeysSection() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const feature = useTenantFeature("apiAccess");
  const list = useQuery(trpc.apiKeys.list.queryOptions());
  const [open, setOpen] = useState(false);
  // The server's schema: the same checks, and the same messages, before anything is sent.
  const form = useForm<CreateApiKeyFormValues, unknown, CreateApiKeyRequest>({
    resolver: zodResolver(createApiKeyInput),
    defaultValues: API_KEY_DEFAULTS,
  });
  const { errors } = form.formState;
  const scope = form.watch("scope");
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: () => void invalidate(),
      onError: (e) => {
        const f = fieldErrors(e);
        if (f.name) form.setError("name", { message: f.name });
        if (f.scope) form.setError("scope", { message: f.scope });
        if (Object.keys(f).length === 0) form.setError("root.server", { message: errorMessage(e) });
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void invalidate() }));
  const formError = errors.root?.server?.message ?? null;
  const close = () => {
    setOpen(false);
    form.reset(API_KEY_DEFAULTS);
    create.reset();
  };
  const keys = (list.data ?? []).filter((k) => !k.revokedAt);
  return (
    <Section
      id="api-keys"
      title="API keys"
      description="Keys let scripts and integrations call the API as this workspace. Send them as “Authorization: Bearer …”."
      badge={!feature.loading && !feature.enabled ? <Badge tone="brand">Pro</Badge> : null}
    >
      {!feature.loading && !feature.enabled ? (
        <Alert tone="info">
          API access is not included in the {feature.planName} plan. Upgrade to create keys.
        </Alert>
      ) : (
        <div>
          <Button onClick={() => setOpen(true)}>
            <Icon name="key" size={16} /> Create API key
          </Button>
        </div>
      )}
      {list.isPending ? (
        <Spinner label="Loading API keys" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : keys.length === 0 ? (
        <EmptyState icon="key" title="No API keys" />
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scope</th>
                <th scope="col" className="hide-sm">
                  Last used
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    <Badge>{API_KEY_SCOPE_LABELS[k.scope].label}</Badge>
                  </td>
                  <td className="hide-sm muted">{relativeTime(k.lastUsedAt)}</td>
                  <td className="cell-actions">
                    <Button
                      variant="ghost"
                      size="sm"
                      onClick={() => revoke.mutate({ id: k.id })}
                      aria-label={`Revoke ${k.name}`}
                    >
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={open}
        onClose={close}
        title={create.data ? "Copy your new API key" : "Create API key"}
        footer={
          create.data ? (
            <Button onClick={close}>I have copied it</Button>
          ) : (
            <>
              <Button variant="secondary" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" form="api-key-form" loading={create.isPending}>
                Create key
              </Button>
            </>
          )
        }
      >
        {create.data ? (
          <div className="stack">
            <Alert tone="warning">This is the only time the key is shown. Store it somewhere safe.</Alert>
            <CopyField id="api-key-value" label="API key" value={create.data.key} />
          </div>
        ) : (
          <form
            id="api-key-form"
            className="form"
            onSubmit={form.handleSubmit((values) => create.mutate(values))}
            noValidate
          >
            {formError ? <Alert tone="danger">{formError}</Alert> : null}
            <Field
              label="Name"
              id="key-name"
              error={errors.name?.message}
              help="What uses this key, e.g. “CI notifier”."
            >
              <input
                id="key-name"
                maxLength={100}
                {...form.register("name")}
                {...describedBy("key-name", { error: errors.name?.message, help: true })}
              />
            </Field>
            <fieldset className="field radio-cards">
              <legend>Scope</legend>
              {API_KEY_SCOPES.map((s) => (
                <label key={s} className={`radio-card${scope === s ? " selected" : ""}`}>
                  <input type="radio" value={s} {...form.register("scope")} />
                  <span>
                    <strong>{API_KEY_SCOPE_LABELS[s].label}</strong>
                    <span className="muted">{API_KEY_SCOPE_LABELS[s].description}</span>
                  </span>
                </label>
              ))}
              {errors.scope?.message ? <p className="field-error">{errors.scope.message}</p> : null}
            </fieldset>
          </form>
        )}
      </Dialog>
    </Section>
  );
}
