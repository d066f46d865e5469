// A page of raw events for GetEventExplorer and GetActivityFeed (their requests have the same fields): checks
// the request, runs the query of src/domain/activity/event-page.ts and shapes the events.

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ActivityEventSchema, GetEventExplorerRequest } from "../../gen/shared/activity/v1/activity_pb.ts";
import { eventPageQuery } from "../../domain/activity/event-page.ts";
import { type EventPageRow, shapeEvent } from "../../domain/activity/event-properties.ts";
import { decodeEventPosition, encodeEventPosition } from "../../domain/activity/page-token.ts";
import { pageSizeOf } from "../../domain/activity/page-size.ts";
import { FieldError } from "../../domain/field-error.ts";
import { QueryParams } from "../../domain/insights/query-params.ts";
import { rangeOf } from "../../domain/insights/time-window.ts";
import { runInsightQueries } from "./insight-runner.ts";
import type { SharedDeps } from "./shared-deps.ts";

export type EventPageRequest = Pick<GetEventExplorerRequest, "sessionId" | "timeRange" | "propertyFilters" | "pageSize" | "pageToken" | "events">;

/** One page of the project's events, only `distinctIds`' when given. */
export async function eventPage(
  deps: SharedDeps,
  projectId: string,
  request: EventPageRequest,
  distinctIds: string[] | undefined,
  signal: AbortSignal,
): Promise<{ events: MessageInitShape<typeof ActivityEventSchema>[]; nextPageToken: string }> {
  const pageSize = pageSizeOf(request.pageSize);
  const after = request.pageToken === "" ? undefined : decodeEventPosition(request.pageToken);
  if (request.pageToken !== "" && !after) {
    throw new FieldError("page_token", "not a token this server issued; pass next_page_token unchanged, or nothing for the first page");
  }
  const query = eventPageQuery({
    params: new QueryParams(projectId),
    range: request.timeRange ? rangeOf(request.timeRange, "time_range") : undefined,
    distinctIds,
    sessionId: request.sessionId,
    propertyFilters: request.propertyFilters,
    events: request.events,
    pageSize,
    after,
  });
  const [rows] = (await runInsightQueries(deps, [query], signal)) as [EventPageRow[]];
  // ReplacingMergeTree collapses a redelivered event only on merge; until then its copies sit side by side here.
  const events = rows.slice(0, pageSize).filter((row, i, page) => i === 0 || row.event_id !== page[i - 1]!.event_id).map(shapeEvent);
  const last = events.at(-1);
  return {
    events: events.map((event) => ({
      eventId: event.eventId,
      kind: event.kind,
      distinctId: event.distinctId,
      occurTime: timestampFromMs(event.occurredMs),
      sessionId: event.sessionId,
      autoProperties: event.autoProperties,
      customProperties: event.customProperties,
    })),
    nextPageToken: rows.length > pageSize && last ? encodeEventPosition({ occurredMs: last.occurredMs, eventId: last.eventId }) : "",
  };
}
