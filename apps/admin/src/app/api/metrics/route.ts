import { metricsRoute } from "@nchat/api";

export const dynamic = "force-dynamic";

/** Prometheus metrics of this process; `Authorization: Bearer <METRICS_TOKEN>` (see the README). */
export function GET(request: Request): Promise<Response> {
  return metricsRoute(request);
}
