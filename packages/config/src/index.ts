export {
  type BillingMode,
  billingMode,
  DEV_APP_PASSWORD,
  ENV_SHAPE,
  type Env,
  env,
  isMultiTenant,
  loadEnv,
} from "./env";
export { parseRedisUrl, type RedisTarget, redact, redisIsCluster } from "./redis";
export { type EnvVariableSchema, envVariableSchemas } from "./reference";
