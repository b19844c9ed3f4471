import type { ReactNode } from "react";

/** A labelled form field: the label, the control, then help and error text tied to it by id. */
export function Field({
  label,
  id,
  error,
  help,
  children,
  optional,
}: {
  label: ReactNode;
  id: string;
  error?: string | null;
  help?: ReactNode;
  optional?: boolean;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {label}
        {optional ? <span className="field-optional"> (optional)</span> : null}
      </label>
      {children}
      {help ? (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** aria-* props for a control inside <Field>. */
export function describedBy(id: string, opts: { error?: string | null; help?: boolean }) {
  const ids = [opts.help ? `${id}-help` : null, opts.error ? `${id}-error` : null].filter(Boolean);
  return {
    "aria-invalid": opts.error ? true : undefined,
    "aria-describedby": ids.length ? ids.join(" ") : undefined,
  } as const;
}

type CredentialFieldProps = {
  value: string;
  onChange: (value: string) => void;
  /** Marks the control invalid when the form's own error (shown elsewhere) is about it. */
  invalid?: boolean;
  /** Only where filling this form is the page's one task (a sign-in or recovery page). */
  autoFocus?: boolean;
};

/**
 * The account's email box of the sign-in and recovery forms of both apps: labelled "Email", named
 * and completed as the account's user name, so that password managers fill it.
 */
export function EmailField({ value, onChange, invalid, autoFocus }: CredentialFieldProps) {
  return (
    <Field label="Email" id="email">
      <input
        id="email"
        name="email"
        type="email"
        autoComplete="username"
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid || undefined}
        // biome-ignore lint/a11y/noAutofocus: the callers pass it only on pages with this one task
        autoFocus={autoFocus}
      />
    </Field>
  );
}

/**
 * A password box: by default the "Password" of a sign-in (`current-password`); with
 * `purpose: "new-password"` one being chosen (password managers offer to generate and save it).
 */
export function PasswordField({
  id = "password",
  label = "Password",
  purpose = "current-password",
  help,
  value,
  onChange,
  invalid,
  autoFocus,
}: CredentialFieldProps & {
  id?: string;
  label?: ReactNode;
  purpose?: "current-password" | "new-password";
  help?: ReactNode;
}) {
  return (
    <Field label={label} id={id} help={help}>
      <input
        id={id}
        name={id}
        type="password"
        autoComplete={purpose}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid || undefined}
        aria-describedby={help ? `${id}-help` : undefined}
        // biome-ignore lint/a11y/noAutofocus: the callers pass it only on pages with this one task
        autoFocus={autoFocus}
      />
    </Field>
  );
}
