export * from "./errors";
export { hashPassword, verifyPassword } from "./passwords";
export * from "./services/actor";
export * from "./services/tenant-service";
