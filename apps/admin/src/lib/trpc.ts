"use client";

import type { AppRouter } from "@nchat/api";
import { createTRPCContext } from "@trpc/tanstack-react-query";

/** Typed tRPC hooks for the admin app (`useTRPC().admin.tenants.list.queryOptions(...)`). */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
