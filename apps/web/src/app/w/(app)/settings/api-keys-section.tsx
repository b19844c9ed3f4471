"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import {
  API_KEY_SCOPE_LABELS,
  API_KEY_SCOPES,
  type CreateApiKeyFormValues,
  type CreateApiKeyRequest,
  createApiKeyInput,
} from "@nchat/protocol/api-keys";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage, fieldErrors } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useTenantFeature } from "@/components/tenant";
import { Alert, Button, CopyField, describedBy, Field } from "@/components/ui";
import { relativeTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { Section } from "./section";

const API_KEY_DEFAULTS: CreateApiKeyFormValues = { name: "", scope: "read" };

/** The workspace's API keys (also on Profile, for those who may manage them). */
export function ApiKeysSection() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const feature = useTenantFeature("apiAccess");
  const list = useQuery(trpc.apiKeys.list.queryOptions());
  const [open, setOpen] = useState(false);
  // The server's schema: the same checks, and the same messages, before anything is sent.
  const form = useForm<CreateApiKeyFormValues, unknown, CreateApiKeyRequest>({
    resolver: zodResolver(createApiKeyInput),
    defaultValues: API_KEY_DEFAULTS,
  });
  const { errors } = form.formState;
  const scope = form.watch("scope");
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: () => void invalidate(),
      onError: (e) => {
        const f = fieldErrors(e);
        if (f.name) form.setError("name", { message: f.name });
        if (f.scope) form.setError("scope", { message: f.scope });
        if (Object.keys(f).length === 0) form.setError("root.server", { message: errorMessage(e) });
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void invalidate() }));
  const formError = errors.root?.server?.message ?? null;
  const close = () => {
    setOpen(false);
    form.reset(API_KEY_DEFAULTS);
    create.reset();
  };
  const keys = (list.data ?? []).filter((k) => !k.revokedAt);
  return (
    <Section
      id="api-keys"
      title="API keys"
      description="Keys let scripts and integrations call the API as this workspace. Send them as “Authorization: Bearer …”."
      badge={!feature.loading && !feature.enabled ? <Badge tone="brand">Pro</Badge> : null}
    >
      {!feature.loading && !feature.enabled ? (
        <Alert tone="info">
          API access is not included in the {feature.planName} plan. Upgrade to create keys.
        </Alert>
      ) : (
        <div>
          <Button onClick={() => setOpen(true)}>
            <Icon name="key" size={16} /> Create API key
          </Button>
        </div>
      )}
      {list.isPending ? (
        <Spinner label="Loading API keys" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : keys.length === 0 ? (
        <EmptyState icon="key" title="No API keys" />
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scope</th>
                <th scope="col" className="hide-sm">
                  Last used
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    <Badge>{API_KEY_SCOPE_LABELS[k.scope].label}</Badge>
                  </td>
                  <td className="hide-sm muted">{relativeTime(k.lastUsedAt)}</td>
                  <td className="cell-actions">
                    <Button
                      variant="ghost"
                      size="sm"
                      onClick={() => revoke.mutate({ id: k.id })}
                      aria-label={`Revoke ${k.name}`}
                    >
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={open}
        onClose={close}
        title={create.data ? "Copy your new API key" : "Create API key"}
        footer={
          create.data ? (
            <Button onClick={close}>I have copied it</Button>
          ) : (
            <>
              <Button variant="secondary" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" form="api-key-form" loading={create.isPending}>
                Create key
              </Button>
            </>
          )
        }
      >
        {create.data ? (
          <div className="stack">
            <Alert tone="warning">This is the only time the key is shown. Store it somewhere safe.</Alert>
            <CopyField id="api-key-value" label="API key" value={create.data.key} />
          </div>
        ) : (
          <form
            id="api-key-form"
            className="form"
            onSubmit={form.handleSubmit((values) => create.mutate(values))}
            noValidate
          >
            {formError ? <Alert tone="danger">{formError}</Alert> : null}
            <Field
              label="Name"
              id="key-name"
              error={errors.name?.message}
              help="What uses this key, e.g. “CI notifier”."
            >
              <input
                id="key-name"
                maxLength={100}
                {...form.register("name")}
                {...describedBy("key-name", { error: errors.name?.message, help: true })}
              />
            </Field>
            <fieldset className="field radio-cards">
              <legend>Scope</legend>
              {API_KEY_SCOPES.map((s) => (
                <label key={s} className={`radio-card${scope === s ? " selected" : ""}`}>
                  <input type="radio" value={s} {...form.register("scope")} />
                  <span>
                    <strong>{API_KEY_SCOPE_LABELS[s].label}</strong>
                    <span className="muted">{API_KEY_SCOPE_LABELS[s].description}</span>
                  </span>
                </label>
              ))}
              {errors.scope?.message ? <p className="field-error">{errors.scope.message}</p> : null}
            </fieldset>
          </form>
        )}
      </Dialog>
    </Section>
  );
}
