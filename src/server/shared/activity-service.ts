// shared.activity.v1.ActivityService. The profile parts, GetProfileStats and GetActivityHeatmap, read the
// incrementally kept activity tables: a distinct id that belongs to a person (their external id or one of their
// aliases) stands for the whole person; any other (an anonymous visitor) for itself. Heatmap days are UTC days
// (profile_days is kept per UTC day), not the project's reporting time zone. The event explorer and a person's
// feed read pages of raw events (src/domain/activity/); explorer pages are cached like insight answers (the live
// view polls them). The filter schema is shared with InsightsService (./filter-schema.ts).

import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TimeRange } from "../../gen/common/v1/time_pb.ts";
import { type ActivityService, GetEventExplorerResponseSchema } from "../../gen/shared/activity/v1/activity_pb.ts";
import { explorerCacheKey } from "../../domain/insights/cache-key.ts";
import { profileOfDistinctId, type ProfileRow } from "../../store/profile-queries.ts";
import { callerOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import { activityOf, daysOf } from "./activity-reads.ts";
import { distinctIdsOf } from "./person-activity.ts";
import type { SharedDeps } from "./shared-deps.ts";
import { eventPage } from "./event-page-reads.ts";
import { filterSchema, propertyValues } from "./filter-schema.ts";

const DAY_MS = 86_400_000;
export const HEATMAP_DEFAULT_DAYS = 60;
const HEATMAP_MAX_DAYS = 366;

export function activityService(deps: SharedDeps): Partial<ServiceImpl<typeof ActivityService>> {
  /** The person behind a distinct id (if any) and every distinct id that counts as them. */
  const person = async (projectId: string, distinctId: string): Promise<{ profile?: ProfileRow; ids: string[] }> => {
    if (distinctId === "") throw new ConnectError("distinct_id: required", Code.InvalidArgument);
    // Postgres text cannot hold NUL (the lookup would fail as `internal`), and no stored id has one.
    if (distinctId.includes("\u0000")) throw new ConnectError("distinct_id: must not contain NUL characters (\\u0000)", Code.InvalidArgument);
    const profile = await profileOfDistinctId(deps.sql, projectId, distinctId);
    if (!profile) return { ids: [distinctId] };
    return { profile, ids: (await distinctIdsOf(deps, projectId, [profile])).get(profile.id)! };
  };

  return {
    async getProfileStats(request, ctx) {
      const { projectId } = callerOf(ctx);
      const { profile, ids } = await person(projectId, request.distinctId);
      const [from, to] = defaultDays(Date.now());
      const [activity, heatmap] = await Promise.all([activityOf(deps.clickhouse, projectId, new Map([["person", ids]])), daysOf(deps.clickhouse, projectId, ids, from, to)]);
      const found = activity.get("person");
      return {
        stats: found && {
          firstSeen: timestampFromDate(found.firstSeen),
          lastSeen: timestampFromDate(found.lastSeen),
          totalEvents: found.totalEvents,
          browser: found.browser,
          browserVersion: found.browserVersion,
          os: found.os,
          osVersion: found.osVersion,
          device: found.device,
          country: found.country,
          city: found.city,
        },
        heatmap,
        properties: profile?.traits as JsonObject | undefined,
      };
    },

    async getActivityHeatmap(request, ctx) {
      const { projectId } = callerOf(ctx);
      const { ids } = await person(projectId, request.distinctId);
      const [from, to] = request.timeRange ? days(request.timeRange) : defaultDays(Date.now());
      return { days: await daysOf(deps.clickhouse, projectId, ids, from, to) };
    },

    async getEventExplorer(request, ctx) {
      const { projectId } = callerOf(ctx);
      const distinctIds = request.distinctId === "" ? undefined : [request.distinctId];
      return await deps.cache.answer(GetEventExplorerResponseSchema, explorerCacheKey(projectId, request, Date.now()), async () =>
        create(GetEventExplorerResponseSchema, await eventPage(deps, projectId, request, distinctIds, ctx.signal)),
      );
    },

    async getActivityFeed(request, ctx) {
      const { projectId } = callerOf(ctx);
      const { ids } = await person(projectId, request.distinctId);
      return await eventPage(deps, projectId, request, ids, ctx.signal);
    },

    async getFilterSchema(request, ctx) {
      return await filterSchema(deps, callerOf(ctx).projectId, request, ctx.signal);
    },

    async getPropertyValues(request, ctx) {
      return await propertyValues(deps, callerOf(ctx).projectId, request, ctx.signal);
    },
  };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last HEATMAP_DEFAULT_DAYS UTC days, today included. */
function defaultDays(now: number): [string, string] {
  return [isoDay(now - (HEATMAP_DEFAULT_DAYS - 1) * DAY_MS), isoDay(now)];
}

function days(range: TimeRange): [string, string] {
  const at = (timestamp: Timestamp | undefined, field: string) => {
    if (!timestamp) throw new ConnectError(`time_range.${field}: required when time_range is given`, Code.InvalidArgument);
    const ms = timestampDate(timestamp).getTime();
    // ClickHouse's Date holds 1970-01-01 to 2149-06-06.
    if (!(ms >= 0 && ms < Date.UTC(2149, 5, 6))) throw new ConnectError(`time_range.${field}: outside 1970-01-01 to 2149-06-05`, Code.InvalidArgument);
    return ms;
  };
  const from = at(range.from, "from");
  const to = at(range.to, "to");
  if (from >= to) throw new ConnectError("time_range: from must be before to", Code.InvalidArgument);
  if (to - from > HEATMAP_MAX_DAYS * DAY_MS) throw new ConnectError(`time_range: at most ${HEATMAP_MAX_DAYS} days`, Code.InvalidArgument);
  return [isoDay(from), isoDay(to)];
}
