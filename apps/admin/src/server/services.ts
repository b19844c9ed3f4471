import "server-only";

/** This process's services for this module graph (see appServices in @nchat/api). */
export { appServices as getServices } from "@nchat/api";
