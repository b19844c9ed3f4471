import { createHash, randomBytes } from "node:crypto";

/** A random secret token (256 bits), optionally prefixed so it can be recognised (e.g. "nck_"). */
export const randomToken = (prefix = "") => `${prefix}${randomBytes(32).toString("base64url")}`;

/** Tokens are stored only as their SHA-256 (they are random, so no salt or slow hash is needed). */
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
