// Input for drizzle-kit only: the tenant tables over the template schema.
import { TEMPLATE_SCHEMA } from "../slug";
import { tenantTables } from "./tables";

export const {
  userRole,
  channelKind,
  users,
  sessions,
  loginTokens,
  accountTokens,
  recoveryCodes,
  twoFactorChallenges,
  apiKeys,
  channels,
  channelMembers,
  messages,
  reactions,
  mentions,
  attachments,
  readState,
  pins,
  monthlyActiveUsers,
  events,
} = tenantTables(TEMPLATE_SCHEMA);
