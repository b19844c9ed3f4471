export {
  type BillingMode,
  billingMode,
  DEV_APP_PASSWORD,
  type Env,
  env,
  isMultiTenant,
  loadEnv,
} from "./env";
export { parseRedisUrl, type RedisTarget, redact, redisIsCluster } from "./redis";
