// One insight question answered: the spec checked and planned over the request's window in the project's reporting
// time zone, the answer taken from the query cache or computed on ClickHouse with the read limits. The one path
// every insight takes: InsightsService.Query and every tile of a dashboard (signed in or shared by link).

import { create } from "@bufbuild/protobuf";
import { builderOfSpec } from "../../domain/insights/builders.ts";
import { queryCacheKey } from "../../domain/insights/cache-key.ts";
import { QueryParams } from "../../domain/insights/query-params.ts";
import { timeWindow } from "../../domain/insights/time-window.ts";
import { type QueryRequest, type QueryResponse, QueryResponseSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { runInsightQueries } from "./insight-runner.ts";
import type { SharedDeps } from "./shared-deps.ts";

export async function answerInsightQuery(deps: SharedDeps, projectId: string, request: QueryRequest, signal: AbortSignal): Promise<QueryResponse> {
  const build = builderOfSpec(request.spec);
  const { reportingTimezone } = await deps.projects.of(projectId);
  const window = timeWindow(request.timeRange, request.granularity, reportingTimezone);
  const plan = build({ spec: request.spec!, window, params: new QueryParams(projectId) });
  return deps.cache.answer(QueryResponseSchema, queryCacheKey(projectId, request, window, Date.now()), async () => {
    const rows = await runInsightQueries(deps, plan.queries, signal);
    return create(QueryResponseSchema, { result: plan.shape(rows) });
  });
}
