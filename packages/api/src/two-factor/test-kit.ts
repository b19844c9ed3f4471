/** Helpers for the two-factor tests (real database; *.test.ts only). */
import { withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { Secret, TOTP } from "otpauth";
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";
import { hashPassword } from "../passwords";
import type { Services } from "../server";
import { TestClient, testServices } from "../testing";

/** This test file's services (a live binding: made before its tests by `useKit`, closed after them). */
export let services: Services;
/** Registers the file's hooks: its services before the tests, closed after them. Codes follow a faked clock (useStepClock). */
export function useKit() {
  beforeAll(async () => {
    services = await testServices();
  });
  afterAll(() => services.close());
  useStepClock();
}

/**
 * Codes depend on the clock and a code's time step is accepted once: each test moves a faked Date
 * (the service's clock; PostgreSQL's is not faked) a step ahead whenever it needs a fresh code.
 */
export function useStepClock() {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / 30_000) * 30_000 + 1_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
export const nextStep = () => vi.setSystemTime(Date.now() + 30_000);

export const PASSWORD = "owner-password-1";

export { rejects } from "../testing";

export const codeOf = (secret: string, offsetSteps = 0) =>
  new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });

/** Enrols the client's user; returns the secret and the recovery codes. */
export async function enrol(client: TestClient) {
  const { secret } = await client.call((c) => c.twoFactor.begin());
  const { recoveryCodes } = await client.call((c) => c.twoFactor.confirm({ code: codeOf(secret) }));
  nextStep();
  return { secret, recoveryCodes };
}

/** A fresh browser on the tenant's host that went through the password step. */
export async function passwordStep(host: string, email: string, password = PASSWORD) {
  const browser = new TestClient(services, host);
  const res = await browser.call((c) => c.auth.signIn({ email, password }));
  return { browser, res };
}

export async function setRequire2fa(tenantId: string, on: boolean) {
  await services.db
    .admin`update public.tenant_settings set require_2fa = ${on} where tenant_id = ${tenantId}`;
}

export async function addMember(tenant: { id: string; schemaName: string; dbRole: string }, host: string) {
  const email = `member-${uniqueSlug("m")}@x.test`;
  const passwordHash = await hashPassword("member-password-1");
  await withTenant(services.db, tenant, ({ db, t }) =>
    db.insert(t.users).values({ email, name: "Member", role: "member", passwordHash }),
  );
  const client = new TestClient(services, host);
  await client.call((c) => c.auth.signIn({ email, password: "member-password-1" }));
  return { client, email };
}
