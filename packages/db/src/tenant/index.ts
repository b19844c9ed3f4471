export { type TenantTables, tenantTables } from "./tables";
