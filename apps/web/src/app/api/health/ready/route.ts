import { readinessResponse } from "@nchat/api";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

/** Readiness: 200 when PostgreSQL (and Redis, when configured) answer; 503 while draining. */
export function GET(): Promise<Response> {
  return readinessResponse(getServices());
}
