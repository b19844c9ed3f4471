import { type Services, SYSTEM } from "@nchat/api";

export const DEMO = {
  tenant: { name: "Demo Company", slug: "demo" },
  owner: { email: "owner@demo.test", name: "Dana Demo", password: "demo-password-1" },
  superAdmin: { email: "admin@nchat.test", name: "Platform Admin", password: "admin-password-1" },
} as const;

/** The demo tenant and the demo super admin; idempotent. */
export async function seedDemo(services: Services): Promise<void> {
  if (!(await services.tenants.getTenantBySlug(DEMO.tenant.slug))) {
    await services.tenants.createTenant(
      {
        name: DEMO.tenant.name,
        slug: DEMO.tenant.slug,
        ownerEmail: DEMO.owner.email,
        ownerName: DEMO.owner.name,
        ownerPassword: DEMO.owner.password,
      },
      SYSTEM,
      { plan: "pro" },
    );
  }
  if (!(await services.superAdmins.findByEmail(DEMO.superAdmin.email))) {
    await services.superAdmins.create(DEMO.superAdmin, SYSTEM);
  }
}
