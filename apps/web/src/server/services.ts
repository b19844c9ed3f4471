import "server-only";

export { sharedServices as getServices } from "@nchat/api";
