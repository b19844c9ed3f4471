"use client";

import { Icon } from "@nchat/ui/icon";
import { Spinner } from "@nchat/ui/primitives";
import { type ButtonHTMLAttributes, useCallback, useState } from "react";
import { colorFor, initials } from "@/lib/color";
import { useAvatarUrl } from "./avatars";

export { Alert } from "@nchat/ui/alert";
export { describedBy, Field } from "@nchat/ui/field";

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary" | "ghost" | "danger";
  size?: "sm" | "md";
  loading?: boolean;
};

export function Button({
  variant = "primary",
  size = "md",
  loading = false,
  className,
  children,
  disabled,
  type = "button",
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type}
      className={`btn btn-${variant}${size === "sm" ? " btn-sm" : ""}${className ? ` ${className}` : ""}`}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      {...rest}
    >
      {loading ? <Spinner size={14} /> : null}
      {children}
    </button>
  );
}

/** "Load more" under a list fed by an infinite query; nothing once its last page is loaded. */
export function LoadMore({
  query,
  label,
  size,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  label: string;
  size?: ButtonProps["size"];
}) {
  if (!query.hasNextPage) return null;
  return (
    <div className="table-more">
      <Button
        variant="secondary"
        size={size}
        loading={query.isFetchingNextPage}
        onClick={() => query.fetchNextPage()}
      >
        {label}
      </Button>
    </div>
  );
}

/** A person's picture (their profile picture when they have one, see useAvatarUrl), else initials. */
export function Avatar({ name, id, size = 32 }: { name: string; id?: string; size?: number }) {
  const src = useAvatarUrl(id, size);
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <span
      className="avatar"
      aria-hidden="true"
      data-avatar={src && failed !== src ? "picture" : "initials"}
      style={{
        width: size,
        height: size,
        background: colorFor(id ?? name),
        fontSize: size * 0.4,
        position: "relative",
        overflow: "hidden",
      }}
    >
      {initials(name)}
      {src && failed !== src ? (
        // biome-ignore lint/performance/noImgElement: pictures served by the API to signed-in members
        <img src={src} alt="" style={AVATAR_IMG} onError={() => setFailed(src)} />
      ) : null}
    </span>
  );
}

const AVATAR_IMG = {
  position: "absolute",
  inset: 0,
  width: "100%",
  height: "100%",
  objectFit: "cover",
} as const;

/** A usage meter: `used` of `limit` (-1 = unlimited), coloured by state. */
export function Meter({
  label,
  used,
  limit,
  state,
  format = String,
  id,
}: {
  label: string;
  used: number;
  limit: number;
  state: string;
  format?: (n: number) => string;
  id?: string;
}) {
  const unlimited = limit < 0;
  const pct = unlimited ? 0 : limit === 0 ? 100 : Math.min(100, Math.round((used / limit) * 100));
  return (
    <div className={`meter meter-${state}`} data-resource={id}>
      <div className="meter-head">
        <span className="meter-label">{label}</span>
        <span className="meter-value" data-testid={id ? `meter-${id}` : undefined}>
          {unlimited ? `${format(used)} · Unlimited` : `${format(used)} of ${format(limit)}`}
        </span>
      </div>
      {/* The numbers are in the text above; the bar is decoration. */}
      <div className="meter-track" aria-hidden="true">
        <div
          className="meter-fill"
          style={{ width: `${unlimited ? 4 : Math.max(pct, used > 0 ? 2 : 0)}%` }}
        />
      </div>
    </div>
  );
}

/** A read-only value with a copy button (invite links, API keys, DNS records). */
export function CopyField({
  label,
  value,
  id,
  mono = true,
}: {
  label: string;
  value: string;
  id: string;
  mono?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  const copy = useCallback(async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const el = document.getElementById(id) as HTMLInputElement | null;
      el?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }, [value, id]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field">
        <input
          id={id}
          readOnly
          value={value}
          className={mono ? "mono" : undefined}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button variant="secondary" size="sm" onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
          <Icon name={copied ? "check" : "copy"} size={14} />
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}
