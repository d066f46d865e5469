// SegmentUsers: the people who did any of the request's events in the range, among the events the filter groups
// keep, a page at a time. A person is who the event belongs to with aliases resolved (the external id of an
// identified person, else the distinct id), so an anonymous id linked to alice lists alice once. The events'
// aggregation fields play no part here. No events: anyone with an event in the range. As in the original
// product, cookieless visitors are never listed (the request has no switch for them, and they are no one a
// profile read can find); bots are left out as from every read. Pages are ordered by the person's id (a
// stable order that needs no state), resumed after the last one, and fetched one row long to know whether
// another page follows.

import type { SegmentUsersRequest } from "../../gen/shared/insights/v1/insights_pb.ts";
import { decodePersonPosition } from "../activity/page-token.ts";
import { pageSizeOf } from "../activity/page-size.ts";
import { FieldError } from "../field-error.ts";
import { anyEventFilterSql } from "./event-filter-sql.ts";
import { eventScope } from "./event-scope.ts";
import type { SqlQuery } from "./insight-plan.ts";
import { QueryParams } from "./query-params.ts";
import { rangeOf } from "./time-window.ts";

export interface SegmentPage {
  query: SqlQuery;
  pageSize: number;
}

/** The query of one page; its rows are {person}, at most pageSize + 1 of them. */
export function segmentUsersQuery(projectId: string, request: SegmentUsersRequest): SegmentPage {
  const window = rangeOf(request.timeRange, "time_range");
  const pageSize = pageSizeOf(request.pageSize);
  const after = request.pageToken === "" ? undefined : decodePersonPosition(request.pageToken);
  if (request.pageToken !== "" && after === undefined) {
    throw new FieldError("page_token", "not a token this server issued; pass next_page_token unchanged, or nothing for the first page");
  }
  const params = new QueryParams(projectId);
  const scope = eventScope({
    params,
    window,
    includeCookieless: false,
    groups: { groups: request.filterGroups, operator: request.filterGroupsOperator, field: "filter_groups", operatorField: "filter_groups_operator" },
  });
  const anyEvent = anyEventFilterSql(request.events.map((query) => query.event), scope.filters, "events", (i) => `events[${i}].event`);
  const conditions = [scope.where];
  if (anyEvent !== "1") conditions.push(anyEvent);
  const person = scope.person();
  if (after !== undefined) conditions.push(`${person} > ${params.add(after, "String")}`);
  const sql = `SELECT ${person} AS person
FROM ${scope.from()}
WHERE ${conditions.join(" AND ")}
GROUP BY person
ORDER BY person
LIMIT ${params.add(pageSize + 1, "UInt32")}`;
  return { query: { sql, params: params.values }, pageSize };
}
