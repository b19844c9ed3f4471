export * from "./errors";
export { hashPassword, verifyPassword } from "./passwords";
export { createServices, type Services } from "./server";
export * from "./services/actor";
export * from "./services/super-admin-service";
export * from "./services/tenant-service";
