import type { ReactNode } from "react";
import { errorMessage } from "./errors";

/** A message in the flow of the page; danger is announced at once (role alert), the rest politely. */
export function Alert({
  tone = "info",
  title,
  children,
  action,
  role,
}: {
  tone?: "info" | "success" | "warning" | "danger";
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  role?: "alert" | "status";
}) {
  return (
    <div className={`alert alert-${tone}`} role={role ?? (tone === "danger" ? "alert" : "status")}>
      <div className="alert-body">
        {title ? <strong className="alert-title">{title}</strong> : null}
        {children ? <div>{children}</div> : null}
      </div>
      {action ? <div className="alert-action">{action}</div> : null}
    </div>
  );
}

/** What a view shows when its data could not be loaded: the error's message and "Retry". */
export function LoadError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert
      tone="danger"
      title="Could not load this."
      action={
        onRetry ? (
          <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
            Retry
          </button>
        ) : null
      }
    >
      {errorMessage(error)}
    </Alert>
  );
}
