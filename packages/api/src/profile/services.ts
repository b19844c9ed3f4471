import type { Database } from "@nchat/db";
import type { BlobStore } from "../attachments/blob-store";
import { TenantKeyring } from "../attachments/keys";
import type { AuthService } from "../auth/auth-service";
import { ProfileService } from "./profile-service";
import { SecurityService } from "./security-service";

export type ProfileServices = { profile: ProfileService; security: SecurityService };

const instances = new WeakMap<object, ProfileServices>();

/**
 * The profile services of a set of services, made on first use (one per set: the keyring caches
 * unwrapped data keys). They store pictures in that set's blob store, as attachments do.
 */
export function profileServices(services: {
  db: Database;
  masterKey: ConstructorParameters<typeof TenantKeyring>[0];
  auth: AuthService;
  blobs: BlobStore;
  log?: { child(b: { component: string }): { warn(o: object, m: string): void } };
}): ProfileServices {
  let s = instances.get(services);
  if (!s) {
    const log = services.log?.child({ component: "profile" });
    s = {
      profile: new ProfileService({
        db: services.db,
        blobs: services.blobs,
        keyring: new TenantKeyring(services.masterKey),
        auth: services.auth,
        log: (msg, err) => log?.warn({ err }, msg),
      }),
      security: new SecurityService({ db: services.db, auth: services.auth }),
    };
    instances.set(services, s);
  }
  return s;
}
