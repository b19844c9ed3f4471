export { type Env, env, isMultiTenant, loadEnv } from "./env";
