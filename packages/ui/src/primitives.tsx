import type { ReactNode } from "react";
import { Icon, type IconName } from "./icon";
import { Tooltip } from "./tooltip";

export type BadgeTone = "neutral" | "brand" | "info" | "danger" | "success" | "warning";

/** A short label. `className` adds app-specific variants (a plan's or a status's colour). */
export function Badge({
  children,
  tone = "neutral",
  label,
  code,
  className,
}: {
  children: ReactNode;
  tone?: BadgeTone;
  /** A longer explanation, shown on hover and keyboard focus (a tooltip). */
  label?: string;
  /** A machine name (an audit action): shown as written, in the mono font. */
  code?: boolean;
  className?: string;
}) {
  const badge = (
    <span
      className={`badge badge-${tone}${code ? " badge-code" : ""}${className ? ` ${className}` : ""}`}
      // Focusable when it has an explanation, so that keyboard users get it too.
      tabIndex={label ? 0 : undefined}
    >
      {children}
    </span>
  );
  return label ? <Tooltip label={label}>{badge}</Tooltip> : badge;
}

/**
 * A busy indicator. With a `label` it is a live status that screen readers announce; without one it
 * is decoration (inside a button that says what is happening).
 */
export function Spinner({ size, label }: { size?: number; label?: string }) {
  return (
    <span
      className="spinner"
      style={size ? { width: size, height: size } : undefined}
      role={label ? "status" : undefined}
      aria-hidden={label ? undefined : true}
    >
      {label ? <span className="sr-only">{label}</span> : null}
    </span>
  );
}

export function PageHeader({
  title,
  description,
  actions,
  eyebrow,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  /** A line above the title (where the page sits). */
  eyebrow?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div className="page-header-text">
        {eyebrow ? <div className="eyebrow">{eyebrow}</div> : null}
        <h1>{title}</h1>
        {description ? <p className="page-description">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function EmptyState({
  icon = "inbox",
  title,
  children,
  action,
}: {
  icon?: IconName;
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty-state">
      <span className="empty-icon" aria-hidden="true">
        <Icon name={icon} size={22} />
      </span>
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}
