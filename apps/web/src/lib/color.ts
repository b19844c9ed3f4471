/** Colour helpers for white-label branding: readable text on any brand colour. */

const HEX = /^#([0-9a-f]{6})$/i;

export const isHexColor = (v: unknown): v is string => typeof v === "string" && HEX.test(v);

function channel(c: number) {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of #rrggbb. */
export function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

/** Black or white, whichever reads better on `hex`. */
export function contrastText(hex: string): string {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#0f172a" : "#ffffff";
}

/** CSS custom properties for a tenant's branding (only valid colours are used). */
export function brandingStyle(branding: {
  primaryColor?: string;
  secondaryColor?: string;
}): Record<string, string> {
  const style: Record<string, string> = {};
  if (isHexColor(branding.primaryColor)) {
    style["--brand-primary"] = branding.primaryColor;
    style["--brand-primary-contrast"] = contrastText(branding.primaryColor);
  }
  if (isHexColor(branding.secondaryColor)) {
    style["--brand-secondary"] = branding.secondaryColor;
    style["--brand-secondary-contrast"] = contrastText(branding.secondaryColor);
  }
  return style;
}

/** A stable, pleasant colour per person (avatars). */
export function colorFor(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 55% 45%)`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = parts[0]!.charAt(0);
  const last = parts.length > 1 ? parts[parts.length - 1]!.charAt(0) : "";
  return (first + last).toUpperCase();
}
