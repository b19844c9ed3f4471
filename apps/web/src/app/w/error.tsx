"use client";

import { useEffect } from "react";

/** Any failure while rendering a tenant page: say so, offer a retry. */
export default function TenantError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <main className="status-page">
      <section className="card status-card" role="alert">
        <span className="status-icon" aria-hidden="true">
          !
        </span>
        <h1>Something went wrong</h1>
        <p>The page could not be loaded. This is usually temporary.</p>
        <div className="status-actions">
          <button type="button" className="btn btn-primary" onClick={reset}>
            Try again
          </button>
          <a className="btn btn-secondary" href="/">
            Go to the workspace
          </a>
        </div>
      </section>
    </main>
  );
}
