import { z } from "zod";

/** What the two-factor procedures accept — validated once, at the procedure. */

export const codeInput = z.object({ code: z.string().trim().min(1, "Enter the code.").max(40) });
export const disableInput = z.object({
  password: z.string().min(1, "Enter your password.").max(200),
  code: z.string().trim().min(1, "Enter a code.").max(40),
});
export type CodeInput = z.output<typeof codeInput>;
export type DisableInput = z.output<typeof disableInput>;
