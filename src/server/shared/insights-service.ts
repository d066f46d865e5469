// shared.insights.v1.InsightsService: authenticates (the boundary did), checks the window, picks the builder of
// the insight type, runs its queries and shapes the answer. Query building lives in src/domain/insights/.

import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { InsightType, type InsightsService, QueryResponseSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { builderFor } from "../../domain/insights/builders.ts";
import { queryCacheKey } from "../../domain/insights/cache-key.ts";
import { FieldError } from "../../domain/field-error.ts";
import { QueryParams } from "../../domain/insights/query-params.ts";
import { timeWindow } from "../../domain/insights/time-window.ts";
import { callerOf } from "../auth/caller.ts";
import { encodePersonPosition } from "../../domain/activity/page-token.ts";
import { segmentUsersQuery } from "../../domain/insights/segment-users.ts";
import { filterSchema, propertyValues } from "./filter-schema.ts";
import { runInsightQueries } from "./insight-runner.ts";
import type { SharedDeps } from "./shared-deps.ts";

export function insightsService(deps: SharedDeps): Partial<ServiceImpl<typeof InsightsService>> {
  return {
    async query(request, ctx) {
      const { projectId } = callerOf(ctx);
      const spec = request.spec;
      if (!spec) throw new FieldError("spec", "required");
      const build = builderFor(spec.insightType);
      if (!build) {
        throw new FieldError("spec.insight_type", spec.insightType === InsightType.UNSPECIFIED ? "required" : `unknown insight type ${spec.insightType}`);
      }
      const { reportingTimezone } = await deps.projects.of(projectId);
      const window = timeWindow(request.timeRange, request.granularity, reportingTimezone);
      const plan = build({ spec, window, params: new QueryParams(projectId) });
      return deps.cache.answer(QueryResponseSchema, queryCacheKey(projectId, request, window, Date.now()), async () => {
        const rows = await runInsightQueries(deps, plan.queries, ctx.signal);
        return create(QueryResponseSchema, { result: plan.shape(rows) });
      });
    },

    async segmentUsers(request, ctx) {
      const { query, pageSize } = segmentUsersQuery(callerOf(ctx).projectId, request);
      const [rows] = await runInsightQueries(deps, [query], ctx.signal);
      const people = rows!.slice(0, pageSize).map((row) => String(row.person));
      return { distinctIds: people, nextPageToken: rows!.length > pageSize ? encodePersonPosition(people.at(-1)!) : "" };
    },

    async getFilterSchema(request, ctx) {
      return await filterSchema(deps, callerOf(ctx).projectId, request, ctx.signal);
    },

    async getPropertyValues(request, ctx) {
      return await propertyValues(deps, callerOf(ctx).projectId, request, ctx.signal);
    },
  };
}
