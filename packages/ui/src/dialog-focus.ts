/**
 * Where a dialog's focus starts when it opens: an `[autofocus]` element, else its first field, else
 * its first button or link in the body, else the first footer button — never the header's Close.
 */
export function focusFirst(dialog: HTMLElement, parts: { body: string; footer: string }): void {
  const selectors = [
    "[autofocus]",
    `${parts.body} :is(input, select, textarea):not([disabled]):not([type=hidden])`,
    `${parts.body} :is(button, a[href]):not([disabled])`,
    `${parts.footer} button:not([disabled])`,
  ];
  for (const selector of selectors) {
    const el = dialog.querySelector<HTMLElement>(selector);
    if (el) {
      el.focus();
      return;
    }
  }
}
