"use client";

import { useEffect, useState } from "react";

/**
 * A link to the base domain from any host (tenant hosts, unknown hosts): same scheme and port as
 * this page, so it works behind any port in development and tests.
 */
export function BaseDomainLink({
  baseDomain,
  path,
  className,
  children,
}: {
  baseDomain: string;
  path: string;
  className?: string;
  children: React.ReactNode;
}) {
  const [href, setHref] = useState(`//${baseDomain}${path}`);
  useEffect(() => {
    const { protocol, port } = window.location;
    setHref(`${protocol}//${baseDomain}${port ? `:${port}` : ""}${path}`);
  }, [baseDomain, path]);
  return (
    <a href={href} className={className}>
      {children}
    </a>
  );
}
