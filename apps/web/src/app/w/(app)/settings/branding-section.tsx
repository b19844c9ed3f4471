"use client";

import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Badge } from "@nchat/ui/primitives";
import Link from "next/link";
import { type CSSProperties, type FormEvent, useState } from "react";
import { TenantBrand } from "@/components/brand";
import { useTenant, useTenantFeature } from "@/components/tenant";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { brandingStyle, isHexColor } from "@/lib/color";
import { SavedNote, Section, useTenantUpdate } from "./section";

type Branding = { appName: string; primaryColor: string; secondaryColor: string; logoUrl: string };

export function BrandingSection({ canEdit }: { canEdit: boolean }) {
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
