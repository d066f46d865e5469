// shared.insights.v1.InsightsService: the caller's project (the boundary checked it); Query answers through the one
// insight path (insight-query.ts), query building lives in src/domain/insights/.

import type { ServiceImpl } from "@connectrpc/connect";
import type { InsightsService } from "../../gen/shared/insights/v1/insights_pb.ts";
import { callerOf } from "../auth/caller.ts";
import { encodePersonPosition } from "../../domain/activity/page-token.ts";
import { segmentUsersQuery } from "../../domain/insights/segment-users.ts";
import { filterSchema, propertyValues } from "./filter-schema.ts";
import { answerInsightQuery } from "./insight-query.ts";
import { runInsightQueries } from "./insight-runner.ts";
import type { SharedDeps } from "./shared-deps.ts";

export function insightsService(deps: SharedDeps): Partial<ServiceImpl<typeof InsightsService>> {
  return {
    async query(request, ctx) {
      return await answerInsightQuery(deps, callerOf(ctx).projectId, request, ctx.signal);
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
