"use client";

import { appErrorOf, errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Spinner } from "@nchat/ui/primitives";
import { useDebounced } from "@nchat/ui/use-debounced";
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button, describedBy, Field } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

type Values = { name: string; slug: string; ownerName: string; ownerEmail: string; ownerPassword: string };
type Errors = Partial<Record<keyof Values | "form", string>>;

const SLUG_RE = /^[a-z][a-z0-9-]{1,40}[a-z0-9]$/;

/** A slug suggestion from the organization name: "Acme Corp." → "acme-corp". */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+/g, "-")
    .slice(0, 42)
    .replace(/-+$/, "");
}

/** Which form field an API field path belongs to. */
const FIELD_OF: Record<string, keyof Values> = {
  name: "name",
  slug: "slug",
  ownerName: "ownerName",
  ownerEmail: "ownerEmail",
  email: "ownerEmail",
  ownerPassword: "ownerPassword",
  password: "ownerPassword",
};

export function SignupForm({ baseDomain }: { baseDomain: string }) {
  const trpc = useTRPC();
  const [values, setValues] = useState<Values>({
    name: "",
    slug: "",
    ownerName: "",
    ownerEmail: "",
    ownerPassword: "",
  });
  const [slugEdited, setSlugEdited] = useState(false);
  const [errors, setErrors] = useState<Errors>({});

  const slug = values.slug.trim();
  const debouncedSlug = useDebounced(slug, 350);
  const availability = useQuery({
    ...trpc.auth.slugAvailable.queryOptions({ slug: debouncedSlug }),
    enabled: debouncedSlug.length > 0,
    staleTime: 10_000,
    retry: false,
  });
  const checking = slug.length > 0 && (slug !== debouncedSlug || availability.isFetching);
  const slugStatus =
    slug.length === 0 || checking || !availability.data || debouncedSlug !== slug ? null : availability.data;

  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: (result) => {
        // Signs the owner in on the new workspace's own host and lands on it.
        window.location.assign(result.continueUrl);
      },
      onError: (error) => {
        const next: Errors = {};
        for (const [path, message] of Object.entries(fieldErrors(error))) {
          const field = FIELD_OF[path.split(".")[0] ?? ""];
          if (field && !next[field]) next[field] = message;
        }
        const code = appErrorOf(error)?.appCode;
        if (code === "SLUG_TAKEN" || code === "SLUG_INVALID" || code === "SLUG_RESERVED")
          next.slug = errorMessage(error);
        if (Object.keys(next).length === 0) next.form = errorMessage(error);
        setErrors(next);
        const first = (Object.keys(next) as (keyof Errors)[]).find((k) => k !== "form");
        if (first) document.getElementById(first)?.focus();
      },
    }),
  );

  const set = (field: keyof Values) => (value: string) => {
    setValues((v) => {
      const next = { ...v, [field]: value };
      if (field === "name" && !slugEdited) next.slug = slugify(value);
      return next;
    });
    if (errors[field] || errors.form) setErrors((e) => ({ ...e, [field]: undefined, form: undefined }));
  };

  function validate(): Errors {
    const e: Errors = {};
    if (values.name.trim().length < 2) e.name = "Give the workspace a name of at least 2 characters.";
    if (!SLUG_RE.test(slug) || slug.includes("--"))
      e.slug = "Use 3–42 lowercase letters, digits and single hyphens, starting with a letter.";
    else if (slugStatus && !slugStatus.available)
      e.slug = slugStatus.reason ?? "This address is not available.";
    if (!values.ownerName.trim()) e.ownerName = "Enter your name.";
    if (!/^\S+@\S+\.\S+$/.test(values.ownerEmail.trim())) e.ownerEmail = "Enter a valid email address.";
    if (values.ownerPassword.length < 10) e.ownerPassword = "Use a password of at least 10 characters.";
    return e;
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const e = validate();
    setErrors(e);
    const first = (Object.keys(e) as (keyof Errors)[])[0];
    if (first) {
      document.getElementById(first)?.focus();
      return;
    }
    signUp.mutate({ ...values, slug });
  }

  const slugError = errors.slug ?? (slugStatus && !slugStatus.available ? slugStatus.reason : null);

  return (
    <form
      className="form"
      onSubmit={onSubmit}
      noValidate
      aria-describedby={errors.form ? "form-error" : undefined}
    >
      {errors.form ? (
        <div id="form-error">
          <Alert tone="danger">{errors.form}</Alert>
        </div>
      ) : null}

      <Field label="Organization name" id="name" error={errors.name}>
        <input
          id="name"
          name="name"
          type="text"
          autoComplete="organization"
          required
          maxLength={100}
          value={values.name}
          onChange={(e) => set("name")(e.target.value)}
          {...describedBy("name", { error: errors.name })}
        />
      </Field>

      <Field
        label="Workspace address"
        id="slug"
        error={slugError}
        help="Lowercase letters, digits and hyphens, starting with a letter. This is where your team signs in."
      >
        <div className="input-group">
          <input
            id="slug"
            name="slug"
            type="text"
            inputMode="url"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={42}
            value={values.slug}
            onChange={(e) => {
              setSlugEdited(true);
              set("slug")(e.target.value.toLowerCase());
            }}
            {...describedBy("slug", { error: slugError, help: true })}
          />
          <span className="input-suffix">.{baseDomain}</span>
        </div>
        <p className="slug-status" aria-live="polite" data-testid="slug-status">
          {checking ? (
            <>
              <Spinner size={12} /> Checking availability…
            </>
          ) : slugStatus?.available ? (
            <span className="ok">
              <Icon name="check" size={14} /> {slug}.{baseDomain} is available
            </span>
          ) : null}
        </p>
      </Field>

      <div className="form-row">
        <Field label="Your name" id="ownerName" error={errors.ownerName}>
          <input
            id="ownerName"
            name="ownerName"
            type="text"
            autoComplete="name"
            required
            maxLength={100}
            value={values.ownerName}
            onChange={(e) => set("ownerName")(e.target.value)}
            {...describedBy("ownerName", { error: errors.ownerName })}
          />
        </Field>
        <Field label="Work email" id="ownerEmail" error={errors.ownerEmail}>
          <input
            id="ownerEmail"
            name="ownerEmail"
            type="email"
            autoComplete="email"
            required
            value={values.ownerEmail}
            onChange={(e) => set("ownerEmail")(e.target.value)}
            {...describedBy("ownerEmail", { error: errors.ownerEmail })}
          />
        </Field>
      </div>

      <Field label="Password" id="ownerPassword" error={errors.ownerPassword} help="At least 10 characters.">
        <input
          id="ownerPassword"
          name="ownerPassword"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={values.ownerPassword}
          onChange={(e) => set("ownerPassword")(e.target.value)}
          {...describedBy("ownerPassword", { error: errors.ownerPassword, help: true })}
        />
      </Field>

      <Button type="submit" loading={signUp.isPending || signUp.isSuccess} className="btn-block">
        {signUp.isSuccess ? "Opening your workspace…" : "Create workspace"}
      </Button>
      <p className="form-legal">Free plan · up to 10 members · no credit card needed.</p>
    </form>
  );
}
