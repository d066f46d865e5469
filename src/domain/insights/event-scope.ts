// The events a read takes: the caller's project (always a parameter), the time window, cookieless visitors
// left out unless asked for, bots left out, and the request's filter groups. Builders add their own conditions
// (event kinds, per-event filters) on top, through `filters`, then take `from()` last: it joins persons only
// when something read `person()` (UNIQUE_USERS, funnels, PROFILE filters), so plain counts skip the join.

import type { LogicalOperator } from "../../gen/common/v1/filters_pb.ts";
import { personJoin } from "../identity/person-sql.ts";
import { type FilterContext, type FilterGroupLike, filterGroupsSql } from "./event-filter-sql.ts";
import type { InsightInput } from "./insight-plan.ts";
import type { QueryParams } from "./query-params.ts";
import { rangeCondition } from "./time-window.ts";

/** The alias every builder gives the events table. */
export const EVENTS = "e";

export interface EventScope {
  /** `events AS e`, with the person join when person() was read: call it after building every condition. */
  from(): string;
  /** The conditions every row read must meet. */
  where: string;
  /** The event's person: the identified person an anonymous id was linked to, else the distinct id itself. */
  person(): string;
  /** For filters a builder adds (per-event filters, scopes). */
  filters: FilterContext;
}

export interface ScopeInput {
  params: QueryParams;
  /** Absent: all time (the event explorer without a range). */
  window?: { fromMs: number; toMs: number };
  includeCookieless: boolean;
  /** The request's filter groups, and where they are in it for errors (`spec.filter_groups`). */
  groups?: { groups: FilterGroupLike[]; operator: LogicalOperator; field: string; operatorField: string };
}

export function eventScope(input: ScopeInput): EventScope {
  const { params } = input;
  const join = personJoin(EVENTS);
  let joined = false;
  const person = () => {
    joined = true;
    return join.person;
  };
  const filters: FilterContext = { params, events: EVENTS, person };
  const conditions = [`${EVENTS}.project_id = ${params.project}`];
  if (input.window) conditions.push(rangeCondition(input.window, params, `${EVENTS}.occurred_at`));
  conditions.push(`NOT ${EVENTS}.is_bot`);
  if (!input.includeCookieless) conditions.push(`NOT ${EVENTS}.cookieless`);
  if (input.groups) {
    const { groups, operator, field, operatorField } = input.groups;
    const sql = filterGroupsSql(groups, operator, filters, field, operatorField);
    if (sql !== "1") conditions.push(sql);
  }
  return {
    from: () => (joined ? `events AS ${EVENTS} ${join.join}` : `events AS ${EVENTS}`),
    where: conditions.join(" AND "),
    person,
    filters,
  };
}

/** The scope of an insight query (spec.include_cookieless and spec.filter_groups applied). */
export function insightEventScope({ spec, window, params }: InsightInput): EventScope {
  return eventScope({
    params,
    window,
    includeCookieless: spec.includeCookieless,
    groups: { groups: spec.filterGroups, operator: spec.filterGroupsOperator, field: "spec.filter_groups", operatorField: "spec.filter_groups_operator" },
  });
}
