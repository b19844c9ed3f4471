/**
 * The custom-domain tests' fixture (imported by *.test.ts only): a DNS server on loopback answering
 * from `txt`, a tenant resolver, the domain service under test and helpers. Importing it starts the
 * DNS server and the resolver before the file's tests (beforeAll) and stops them after (afterAll).
 */
import type { AddressInfo } from "node:net";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import dns2 from "dns2";
import { afterAll, beforeAll, inject } from "vitest";
import { type Actor, SYSTEM } from "../audit/actor";
import { LocalPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantResolver } from "../tenancy/resolver";
import { TenantService } from "../tenants/tenant-service";
import { type CustomDomainConfig, DomainService, dnsTxtResolver } from "./domain-service";

export const BASE = "nchat.test";
export const db = testDatabase();
export const redisUrl = inject("redisUrl");
export const tenantService = new TenantService({ db, masterKey: testMasterKey });

/**
 * A DNS server on loopback answering TXT queries from `txt` (name → records, each record a list of
 * character-strings). Names in `rcode` answer with that response code; names in `silent` get no
 * answer at all. Anything else is NXDOMAIN.
 */
export const txt = new Map<string, string[][]>();
export const rcode = new Map<string, number>();
export const silent = new Set<string>();
export const { Packet } = dns2;
export const dnsServer = dns2.createUDPServer((request, send) => {
  const response = Packet.createResponseFromRequest(request);
  const question = request.questions[0];
  const name = question?.name.toLowerCase() ?? "";
  if (silent.has(name)) return;
  const records = txt.get(name);
  if (rcode.has(name)) response.header.rcode = rcode.get(name)!;
  else if (!records) response.header.rcode = Packet.RCODE.NXDOMAIN;
  else if (question?.type === Packet.TYPE.TXT)
    for (const data of records)
      response.answers.push(
        new Packet.Resource({
          name: question.name,
          type: Packet.TYPE.TXT,
          class: Packet.CLASS.IN,
          ttl: 1,
          data,
        }),
      );
  void send(response);
});

export let resolveTxt: ReturnType<typeof dnsTxtResolver>;
export let resolver: TenantResolver;
export const redis = redisUrl ? createRedis(redisUrl) : null;
export const changes: { id: string; slug: string; domains: string[] }[] = [];

beforeAll(async () => {
  await dnsServer.listen(0, "127.0.0.1");
  const { port } = dnsServer.address() as AddressInfo;
  resolveTxt = dnsTxtResolver([`127.0.0.1:${port}`], { timeoutMs: 300, tries: 1 });
  if (redis) await redisReady(redis);
  resolver = await new TenantResolver({
    db,
    redis,
    pubsub: new LocalPubSub(),
    namespace: `${inject("testDb").rolePrefix}_domains`,
  }).start();
});

afterAll(async () => {
  await resolver.stop();
  redis?.disconnect();
  await new Promise<void>((resolve) => dnsServer.close(() => resolve()));
  await db.close();
});

export function service(config: Partial<CustomDomainConfig> = {}) {
  return new DomainService({
    db,
    config: { enabled: true, allowlist: [], baseDomain: BASE, ...config },
    resolveTxt: (name) => resolveTxt(name),
    onTenantChanged: async (t) => {
      changes.push(t);
      await resolver.invalidate(t);
    },
  });
}
export const domains = service();

export async function createTenant() {
  const { tenant, ownerId } = await tenantService.createTenant(
    {
      name: "Domain Co",
      slug: uniqueSlug("dom"),
      ownerEmail: "o@x.test",
      ownerName: "O",
      ownerPassword: "0123456789ab",
    },
    SYSTEM,
  );
  const owner: Actor = { type: "user", id: ownerId, role: "owner" };
  return { tenant, owner };
}

/** A domain no other test (or test run sharing the DNS names) uses. */
export const uniqueDomain = (sub = "chat") => `${sub}.${uniqueSlug("acme")}.example.com`;

export function publish(domain: string, ...records: string[][]) {
  txt.set(`_nchat-verify.${domain}`, records);
}
export function unpublish(domain: string) {
  txt.delete(`_nchat-verify.${domain}`);
}

/** A new workspace with a domain whose record is published and verified. */
export async function verifiedDomain() {
  const { tenant, owner } = await createTenant();
  const domain = uniqueDomain();
  const added = await domains.addDomain(tenant, domain, owner);
  publish(domain, [added.record.value]);
  await domains.verifyDomain(tenant, added.id, owner);
  return { tenant, owner, domain, added };
}

export { expectCode } from "../testing";

export async function storedFor(tenantId: string) {
  return db.admin`select domain, status, last_error from public.tenant_domains where tenant_id = ${tenantId}`;
}

export async function auditActions(tenantId: string) {
  const rows = await db.admin`
    select action, actor_type, actor_id, resource_type, resource_id, before, after from public.tenant_audit_logs
    where tenant_id = ${tenantId} and resource_type = 'domain' order by id`;
  return rows;
}
