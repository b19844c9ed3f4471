export * from "./api-keys/service";
export {
  type AttachmentMeta,
  AttachmentService,
  type AttachmentServiceDeps,
  type AttachmentSummary,
  attachmentsOf,
  type DownloadedFile,
  linkToMessage,
  maxUploadBytes,
} from "./attachments/attachment-service";
export * from "./attachments/blob-store";
export * from "./attachments/blob-store-copy";
export * from "./attachments/blob-store-s3";
export * from "./attachments/keys";
export * from "./audit/actor";
export * from "./auth/auth-service";
export * from "./auth/cookies";
export * from "./auth/permissions";
export * from "./billing/billing-service";
export { type BillingConfig, billingConfig } from "./billing/config";
export type { JobOptions, JobsReport } from "./billing/jobs";
export type { MeterReport } from "./billing/metered-usage";
export type { Drift, ReconcileReport } from "./billing/reconcile";
export * from "./billing/types";
export * from "./chat/chat-service";
export * from "./chat/inputs";
export * from "./chat/mentions";
export * from "./chat/views";
export { CLIENT_ADDRESS_HEADER, clientAddress, parseTrustProxy, type TrustProxy } from "./client-address";
export * from "./domains/domain-service";
export * from "./errors";
export { type CheckResult, type Readiness, readiness, readinessResponse } from "./health";
export { trpcHandler } from "./http";
export {
  annotateRequest,
  componentLog,
  createLogger,
  type Logger,
  type LogLevel,
  processLogger,
  serializeError,
} from "./infra/log";
export { metricsRegistry, metricsResponse, metricsRoute } from "./infra/metrics";
export { observeRequest } from "./infra/observe";
export * from "./infra/pubsub";
export { createRedis, redisReady } from "./infra/redis";
export { installShutdown, type Lifecycle, processLifecycle, type ShutdownOptions } from "./lifecycle";
export * from "./limits/features";
export * from "./limits/limits";
export * from "./limits/usage";
export * from "./members/inputs";
export * from "./members/invitation-service";
export * from "./members/member-service";
export * from "./members/views";
export { hashPassword, verifyPassword } from "./passwords";
export * from "./platform/inputs";
export * from "./platform/overview";
export * from "./platform/platform-queries";
export * from "./platform/platform-service";
export * from "./platform/super-admin-service";
export * from "./ratelimit/limiter";
export * from "./ratelimit/policies";
export * from "./realtime/bus";
export type { RealtimeEvent, StreamItem, StreamMarker, StreamOptions } from "./realtime/stream";
export { downloadAttachmentRoute, uploadAttachmentRoute } from "./rest/attachments";
export { continueSignIn } from "./rest/auth-continue";
export { avatarRoute, uploadAvatarRoute } from "./rest/avatars";
export * from "./rest/billing";
export * from "./rest/respond";
export * from "./rest/tenants";
export * from "./rest/tenants-public";
export { TLS_ASK_POLICY, tlsAsk } from "./rest/tls-ask";
export { unsubscribeRoute } from "./rest/unsubscribe";
export { type AppRouter, appRouter, createCaller, type RouterInputs, type RouterOutputs } from "./root";
export { appServices, createServices, databaseConfig, type Services } from "./server";
export * from "./tenancy/adopt";
export * from "./tenancy/context";
export * from "./tenancy/forward";
export * from "./tenancy/host";
export * from "./tenancy/resolver";
export * from "./tenancy/routing";
export * from "./tenants/tenant-service";
export { type AppName, type Context, createContext } from "./trpc";
