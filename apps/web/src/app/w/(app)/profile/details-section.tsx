"use client";

import { AVATAR_MAX_BYTES, AVATAR_TYPES, displayName, timeZone } from "@nchat/protocol/profile";
import { errorMessage, fieldErrors, RestError } from "@nchat/ui/errors";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type ChangeEvent, type FormEvent, useMemo, useRef, useState } from "react";
import { useRefreshAvatars } from "@/components/avatars";
import { LocalTime } from "@/components/profile-card";
import { browserTimeZone } from "@/components/time-zone-default";
import { Alert, Avatar, Button, describedBy, Field } from "@/components/ui";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { MentionEmailsForm } from "./mention-emails-form";

type Profile = RouterOutputs["profile"]["me"];

/** Picture, name, email (read-only here) and time zone. */
export function DetailsSection({ profile }: { profile: Profile }) {
  return (
    <div className="stack-lg">
      <section className="card stack" aria-labelledby="picture-heading">
        <h2 id="picture-heading">Picture</h2>
        <PictureForm profile={profile} />
      </section>
      <section className="card stack" aria-labelledby="about-heading">
        <h2 id="about-heading">About you</h2>
        <NameForm profile={profile} />
        <EmailForm profile={profile} />
        <TimeZoneForm profile={profile} />
      </section>
      <section className="card stack" aria-labelledby="email-notifications-heading">
        <h2 id="email-notifications-heading">Email notifications</h2>
        <MentionEmailsForm profile={profile} />
      </section>
    </div>
  );
}

/**
 * The address, whether it is verified, and a change: the password, then the link mailed to the new
 * address confirms it (the account procedures; the address stays until then).
 */
function EmailForm({ profile }: { profile: Profile }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(trpc.account.emailStatus.queryOptions());
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState({ email: "", password: "" });
  const change = useMutation(
    trpc.account.changeEmail.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        setValues({ email: "", password: "" });
        void qc.invalidateQueries({ queryKey: trpc.account.emailStatus.queryKey() });
      },
    }),
  );
  const errors = fieldErrors(change.error);
  const general = change.isError && !errors.email && !errors.password ? errorMessage(change.error) : null;
  const current = status.data?.email ?? profile.email;
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    change.mutate(values);
  }
  return (
    <div className="stack">
      <Field
        label="Email"
        id="profile-email"
        help={
          status.data
            ? status.data.verified
              ? "Verified."
              : "Not verified yet: open the link we mailed you."
            : undefined
        }
      >
        <input
          id="profile-email"
          type="email"
          value={current}
          readOnly
          {...describedBy("profile-email", { help: Boolean(status.data) })}
        />
      </Field>
      {status.data?.pendingEmail ? (
        <Alert tone="info">
          We sent a link to {status.data.pendingEmail}. Your address changes when you open it.
        </Alert>
      ) : null}
      {change.isSuccess && !status.data?.pendingEmail ? (
        <Alert tone="success">Check the new address's inbox for the confirmation link.</Alert>
      ) : null}
      {open ? (
        <form className="form" onSubmit={onSubmit} noValidate aria-label="Change email address">
          {general ? <Alert tone="danger">{general}</Alert> : null}
          <Field label="New email address" id="new-email" error={errors.email}>
            <input
              id="new-email"
              type="email"
              autoComplete="email"
              value={values.email}
              onChange={(e) => setValues((v) => ({ ...v, email: e.target.value }))}
              {...describedBy("new-email", { error: errors.email })}
            />
          </Field>
          <Field label="Your password" id="email-password" error={errors.password}>
            <input
              id="email-password"
              type="password"
              autoComplete="current-password"
              value={values.password}
              onChange={(e) => setValues((v) => ({ ...v, password: e.target.value }))}
              {...describedBy("email-password", { error: errors.password })}
            />
          </Field>
          <div className="form-actions">
            <Button type="submit" loading={change.isPending}>
              Send confirmation link
            </Button>
            <Button variant="ghost" onClick={() => setOpen(false)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="form-actions">
          <Button variant="secondary" onClick={() => setOpen(true)}>
            Change email address
          </Button>
        </div>
      )}
    </div>
  );
}

function useProfileUpdate(onDone?: () => void) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.profile.update.mutationOptions({
      onSuccess: (updated) => {
        qc.setQueryData(trpc.profile.me.queryKey(), updated);
        // The page's shell shows the name the server rendered: render it again.
        router.refresh();
        onDone?.();
      },
    }),
  );
}

function NameForm({ profile }: { profile: Profile }) {
  const [name, setName] = useState(profile.name);
  const [local, setLocal] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useProfileUpdate(() => setSaved(true));
  const error =
    local ?? fieldErrors(update.error).name ?? (update.isError ? errorMessage(update.error) : null);
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const parsed = displayName.safeParse(name);
    if (!parsed.success) return setLocal(parsed.error.issues[0]?.message ?? "Enter your name.");
    setLocal(null);
    update.mutate({ name: parsed.data });
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <Field label="Name" id="profile-name" error={error} help="How others see you in chat and member lists.">
        <input
          id="profile-name"
          value={name}
          maxLength={100}
          autoComplete="name"
          onChange={(e) => {
            setName(e.target.value);
            setSaved(false);
          }}
          {...describedBy("profile-name", { error, help: true })}
        />
      </Field>
      <div className="form-actions">
        <Button type="submit" loading={update.isPending} disabled={name.trim() === profile.name}>
          Save name
        </Button>
        {saved ? (
          <span className="muted small" role="status">
            Saved
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** Every IANA zone this browser knows, with the person's own first if it is not among them. */
function zoneOptions(current: string | null): string[] {
  const list = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = new Set(["UTC", ...list]);
  if (current) all.add(current);
  return [...all].sort((a, b) => a.localeCompare(b));
}

function TimeZoneForm({ profile }: { profile: Profile }) {
  const [zone, setZone] = useState(profile.timeZone ?? browserTimeZone() ?? "UTC");
  const [saved, setSaved] = useState(false);
  const [local, setLocal] = useState<string | null>(null);
  const options = useMemo(() => zoneOptions(profile.timeZone), [profile.timeZone]);
  const update = useProfileUpdate(() => setSaved(true));
  const error =
    local ?? fieldErrors(update.error).timeZone ?? (update.isError ? errorMessage(update.error) : null);
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const parsed = timeZone.safeParse(zone);
    if (!parsed.success) return setLocal(parsed.error.issues[0]?.message ?? "Choose a time zone.");
    setLocal(null);
    update.mutate({ timeZone: parsed.data });
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <Field
        label="Time zone"
        id="profile-time-zone"
        error={error}
        help={
          <>
            Others see your local time on your profile card. Now: <LocalTime timeZone={profile.timeZone} />
          </>
        }
      >
        <select
          id="profile-time-zone"
          value={zone}
          onChange={(e) => {
            setZone(e.target.value);
            setSaved(false);
          }}
          {...describedBy("profile-time-zone", { error, help: true })}
        >
          {options.map((z) => (
            <option key={z} value={z}>
              {z.replaceAll("_", " ")}
            </option>
          ))}
        </select>
      </Field>
      <div className="form-actions">
        <Button type="submit" loading={update.isPending} disabled={zone === profile.timeZone}>
          Save time zone
        </Button>
        {saved ? (
          <span className="muted small" role="status">
            Saved
          </span>
        ) : null}
      </div>
    </form>
  );
}

function PictureForm({ profile }: { profile: Profile }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const refreshAvatars = useRefreshAvatars();
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const done = async (updated: Profile) => {
    qc.setQueryData(trpc.profile.me.queryKey(), updated);
    await refreshAvatars();
  };
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const res = await fetch("/api/profile/avatar", {
        method: "POST",
        headers: { "content-type": file.type || "application/octet-stream" },
        body: file,
      });
      if (!res.ok) throw await RestError.fromResponse(res);
      return (await res.json()) as Profile;
    },
    onSuccess: done,
    onError: (e) => setError(errorMessage(e)),
  });
  const remove = useMutation(
    trpc.profile.removeAvatar.mutationOptions({ onSuccess: done, onError: (e) => setError(errorMessage(e)) }),
  );
  function onFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    setError(null);
    if (!(AVATAR_TYPES as readonly string[]).includes(file.type))
      return setError("Choose a PNG, JPEG, WebP or GIF image.");
    if (file.size > AVATAR_MAX_BYTES)
      return setError(`A profile picture can be at most ${AVATAR_MAX_BYTES / 1024 / 1024} MB.`);
    upload.mutate(file);
  }
  return (
    <div className="stack">
      <div className="person">
        <Avatar name={profile.name} id={profile.id} size={96} />
        <p className="muted small">
          A square crop of your picture is shown next to your messages and in member lists. PNG, JPEG, WebP or
          GIF, at most {AVATAR_MAX_BYTES / 1024 / 1024} MB.
        </p>
      </div>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <input
        ref={input}
        id="profile-picture"
        type="file"
        accept={AVATAR_TYPES.join(",")}
        className="sr-only"
        aria-label="Upload a picture"
        onChange={onFile}
      />
      <div className="form-actions">
        <Button variant="secondary" loading={upload.isPending} onClick={() => input.current?.click()}>
          {profile.avatarUrl ? "Change picture" : "Upload picture"}
        </Button>
        {profile.avatarUrl ? (
          <Button variant="ghost" loading={remove.isPending} onClick={() => remove.mutate()}>
            Remove picture
          </Button>
        ) : null}
      </div>
    </div>
  );
}
