"use client";

import { errorMessage } from "@nchat/ui/errors";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/components/ui";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Profile = RouterOutputs["profile"]["me"];

/** "Email me about mentions and DMs when I'm away": saved as soon as it is changed. */
export function MentionEmailsForm({ profile }: { profile: Profile }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // The box follows the click at once; a refused change puts it back.
  const [on, setOn] = useState(profile.mentionEmails);
  const save = useMutation(
    trpc.profile.update.mutationOptions({
      onSuccess: (updated) => {
        qc.setQueryData(trpc.profile.me.queryKey(), updated);
        setOn(updated.mentionEmails);
      },
      onError: () => setOn(profile.mentionEmails),
    }),
  );
  return (
    <div className="stack">
      <label className="radio-row">
        <input
          type="checkbox"
          checked={on}
          disabled={save.isPending}
          onChange={(e) => {
            setOn(e.target.checked);
            save.mutate({ mentionEmails: e.target.checked });
          }}
        />
        Email me about mentions and DMs when I'm away
      </label>
      <p className="muted small">
        One mail with what you missed, a few minutes after you leave; muted channels are left out.
      </p>
      {save.isError ? <Alert tone="danger">{errorMessage(save.error)}</Alert> : null}
      {save.isSuccess ? (
        <span className="muted small" role="status">
          Saved
        </span>
      ) : null}
    </div>
  );
}
