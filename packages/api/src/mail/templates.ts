import type { TenantBranding } from "@nchat/db/public";

/**
 * What each kind of mail needs to be written. A new kind of mail (mention notices, billing notices)
 * is one more entry here and one more template below; the queue, the worker and the delivery log
 * take it as it is.
 */
export type MailData = {
  invitation: { acceptUrl: string; role: string; inviterName: string | null; expiresAt: string };
  password_reset: { resetUrl: string; name: string; expiresInMinutes: number };
  email_verification: { verifyUrl: string; name: string; expiresInHours: number; change: boolean };
  mention_digest: {
    name: string;
    /** The messages listed (at most MENTION_DIGEST_LIMIT), each with its deep link. */
    items: { channel: string; author: string; excerpt: string; url: string }[];
    /** How many more there are beyond the list. */
    more: number;
    openUrl: string;
    /** Turns mention emails off without signing in (a signed link; also the List-Unsubscribe header). */
    unsubscribeUrl: string;
  };
  trial_ending: { name: string; endsAt: string; billingUrl: string };
  /** `amount` in the smallest unit of the currency (cents), when known. */
  payment_failed: { name: string; amount: number | null; billingUrl: string };
  /** An outgoing webhook endpoint turned off after a day of failed deliveries. */
  webhook_disabled: { name: string; endpointUrl: string; reason: string; settingsUrl: string };
};
export type MailKind = keyof MailData;
export const MAIL_KINDS = [
  "invitation",
  "password_reset",
  "email_verification",
  "mention_digest",
  "trial_ending",
  "payment_failed",
  "webhook_disabled",
] as const satisfies MailKind[];

/** A mail to send: its kind, recipient and what its template needs. */
export type MailRequest = { [K in MailKind]: { kind: K; to: string; data: MailData[K] } }[MailKind];

/** The workspace a mail speaks for: its name and, from its settings, the app name and logo. */
export type MailBrand = { workspaceName: string; branding: TenantBranding };

export type RenderedMail = {
  subject: string;
  text: string;
  html: string;
  /** Extra headers (List-Unsubscribe). */
  headers?: Record<string, string>;
};

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The product name a mail shows: the workspace's app name (branding), else "nchat". */
export const appName = (brand: MailBrand) => brand.branding.appName?.trim() || "nchat";

/** An https/http logo URL only (branding is tenant input: no javascript:, no data: in mail). */
const logoUrl = (brand: MailBrand) => {
  const url = brand.branding.logoUrl?.trim();
  return url && /^https?:\/\/[^\s"'<>]+$/i.test(url) ? url : null;
};
const colour = (brand: MailBrand) =>
  /^#[0-9a-f]{3,8}$/i.test(brand.branding.primaryColor ?? "") ? brand.branding.primaryColor! : "#4f46e5";

type Body = {
  subject: string;
  lines: string[];
  action: { label: string; url: string };
  footer: string;
  /** A link under the footer (unsubscribe), and the mail's extra headers. */
  footerLink?: { label: string; url: string };
  headers?: Record<string, string>;
};

/** The one layout of every mail: the same words as plain text and as simple HTML. */
function layout(brand: MailBrand, body: Body): RenderedMail {
  const name = appName(brand);
  const text = [
    `${name} · ${brand.workspaceName}`,
    "",
    ...body.lines,
    "",
    `${body.action.label}: ${body.action.url}`,
    "",
    body.footer,
    ...(body.footerLink ? [`${body.footerLink.label}: ${body.footerLink.url}`] : []),
  ].join("\n");
  const logo = logoUrl(brand);
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#111;max-width:560px;margin:0 auto;padding:24px">
<p style="font-weight:600">${logo ? `<img src="${esc(logo)}" alt="" height="32" style="vertical-align:middle;margin-right:8px">` : ""}${esc(name)} · ${esc(brand.workspaceName)}</p>
${body.lines.map((l) => `<p>${esc(l)}</p>`).join("\n")}
<p><a href="${esc(body.action.url)}" style="display:inline-block;background:${colour(brand)};color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${esc(body.action.label)}</a></p>
<p style="font-size:13px;color:#555">Or open this link: <a href="${esc(body.action.url)}">${esc(body.action.url)}</a></p>
<p style="font-size:13px;color:#555">${esc(body.footer)}</p>
${body.footerLink ? `<p style="font-size:13px"><a href="${esc(body.footerLink.url)}">${esc(body.footerLink.label)}</a></p>` : ""}
</body></html>`;
  return { subject: body.subject, text, html, ...(body.headers ? { headers: body.headers } : {}) };
}

const templates: { [K in MailKind]: (data: MailData[K], brand: MailBrand) => Body } = {
  invitation: (d, brand) => ({
    subject: `You are invited to ${brand.workspaceName} on ${appName(brand)}`,
    lines: [
      `${d.inviterName ?? "Someone"} invited you to join ${brand.workspaceName} as ${d.role === "admin" ? "an admin" : `a ${d.role}`}.`,
      `The invitation is valid until ${new Date(d.expiresAt).toUTCString()}.`,
    ],
    action: { label: "Accept the invitation", url: d.acceptUrl },
    footer: "If you did not expect this invitation, you can ignore this mail.",
  }),
  password_reset: (d, brand) => ({
    subject: `Reset your ${appName(brand)} password for ${brand.workspaceName}`,
    lines: [
      `Hello ${d.name},`,
      `someone (hopefully you) asked to reset the password of your account in ${brand.workspaceName}.`,
      `The link works once, for ${d.expiresInMinutes} minutes. Setting a new password signs you out everywhere.`,
    ],
    action: { label: "Choose a new password", url: d.resetUrl },
    footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
  }),
  email_verification: (d, brand) => ({
    subject: d.change
      ? `Confirm your new email address for ${brand.workspaceName}`
      : `Confirm your email address for ${brand.workspaceName}`,
    lines: [
      `Hello ${d.name},`,
      d.change
        ? `please confirm that this is the new email address of your account in ${brand.workspaceName}.`
        : `please confirm the email address of your account in ${brand.workspaceName}.`,
      `The link works once, for ${d.expiresInHours} hours.`,
    ],
    action: { label: "Confirm this address", url: d.verifyUrl },
    footer: "If you did not ask for this, you can ignore this mail.",
  }),
  mention_digest: (d, brand) => {
    const total = d.items.length + d.more;
    return {
      subject: `${total} new ${total === 1 ? "message" : "messages"} for you in ${brand.workspaceName}`,
      lines: [
        `Hello ${d.name},`,
        `while you were away you were mentioned or sent a direct message in ${brand.workspaceName}:`,
        ...d.items.map((i) => `${i.channel} · ${i.author}: ${i.excerpt} — ${i.url}`),
        ...(d.more > 0 ? [`and ${d.more} more.`] : []),
      ],
      action: { label: `Open ${appName(brand)}`, url: d.openUrl },
      footer: "You get this mail because mention emails are on in your profile.",
      footerLink: { label: "Turn off these emails", url: d.unsubscribeUrl },
      headers: {
        "List-Unsubscribe": `<${d.unsubscribeUrl}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
    };
  },
  trial_ending: (d, brand) => ({
    subject: `The trial of ${brand.workspaceName} ends soon`,
    lines: [
      `Hello ${d.name},`,
      `the trial of ${brand.workspaceName} ends on ${new Date(d.endsAt).toUTCString()}.`,
      "Choose a plan before then to keep everything as it is.",
    ],
    action: { label: "Choose a plan", url: d.billingUrl },
    footer: "You get this mail as the owner of the workspace.",
  }),
  payment_failed: (d, brand) => ({
    subject: `A payment for ${brand.workspaceName} failed`,
    lines: [
      `Hello ${d.name},`,
      d.amount !== null
        ? `we could not collect the latest payment (${(d.amount / 100).toFixed(2)}) for ${brand.workspaceName}.`
        : `we could not collect the latest payment for ${brand.workspaceName}.`,
      "Please update the payment method to keep the workspace running.",
    ],
    action: { label: "Update billing", url: d.billingUrl },
    footer: "You get this mail as the owner of the workspace.",
  }),
  webhook_disabled: (d, brand) => ({
    subject: `A webhook of ${brand.workspaceName} was turned off`,
    lines: [
      `Hello ${d.name},`,
      `deliveries to ${d.endpointUrl} kept failing, so it receives no more events: ${d.reason}.`,
      "Fix the receiving end, then turn the endpoint on again in the workspace's webhook settings.",
    ],
    action: { label: "Open webhook settings", url: d.settingsUrl },
    footer: "You get this mail as the owner of the workspace.",
  }),
};

/** Subject, plain text and HTML of a mail, in the workspace's branding. */
export function renderMail(mail: MailRequest, brand: MailBrand): RenderedMail {
  const template = templates[mail.kind] as (data: MailRequest["data"], brand: MailBrand) => Body;
  return layout(brand, template(mail.data, brand));
}

/** The subject alone (the delivery log records it when the mail is queued). */
export const mailSubject = (mail: MailRequest, brand: MailBrand) => renderMail(mail, brand).subject;
