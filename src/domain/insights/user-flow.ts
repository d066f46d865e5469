// USER_FLOW: how sessions move between pages or events. ClickHouse builds each session's path (its node labels
// in time order, repeats in a row collapsed, the first max_hops + 1 kept) and counts the sessions per transition
// and step; ./user-flow-graph.ts turns those counts into the Sankey (top nodes per step, "$others", link cap).
// The scope filter decides which events become nodes, not which sessions count.

import { create } from "@bufbuild/protobuf";
import { type InsightQuerySpec, UserFlowQuery_GroupBy, UserFlowQuery_NodeKind, type UserFlowQuery, UserFlowResultSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { EVENTS, insightEventScope } from "./event-scope.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import type { InsightBuilder } from "./insight-plan.ts";
import { namedEventProperty } from "./property-sql.ts";
import type { QueryParams } from "./query-params.ts";
import { boundedOrDefault, checkDimensionProperty } from "./standalone-spec.ts";
import { refuseUnusedParts } from "./spec-scope.ts";
import { flowGraph, type Transition } from "./user-flow-graph.ts";

const FIELD = "spec.user_flow";

export interface FlowLimits {
  maxHops: number;
  maxNodes: number;
  maxLinks: number;
}

export function flowLimits(flow: UserFlowQuery): FlowLimits {
  return {
    maxHops: boundedOrDefault(flow.maxHops, 5, 1, 10, `${FIELD}.max_hops`),
    maxNodes: boundedOrDefault(flow.maxNodes, 20, 2, 50, `${FIELD}.max_nodes`),
    maxLinks: boundedOrDefault(flow.maxLinks, 250, 1, 500, `${FIELD}.max_links`),
  };
}

/** The label of an event as a node (String; '' where the property is absent). */
function nodeLabel(flow: UserFlowQuery, params: QueryParams): string {
  switch (flow.nodeKind) {
    case UserFlowQuery_NodeKind.UNSPECIFIED:
    case UserFlowQuery_NodeKind.EVENT_KIND:
      if (flow.nodeProperty !== "") throw new FieldError(`${FIELD}.node_property`, "only for node_kind PROPERTY");
      return `toString(${EVENTS}.kind)`;
    case UserFlowQuery_NodeKind.PROPERTY: {
      checkDimensionProperty(flow.nodeProperty, `${FIELD}.node_property`);
      return namedEventProperty(flow.nodeProperty, params, EVENTS).text;
    }
    default:
      throw new FieldError(`${FIELD}.node_kind`, `unknown node kind ${flow.nodeKind}`);
  }
}

function checkGroupBy(flow: UserFlowQuery): void {
  if (flow.groupBy !== UserFlowQuery_GroupBy.UNSPECIFIED && flow.groupBy !== UserFlowQuery_GroupBy.SESSION) {
    throw new FieldError(`${FIELD}.group_by`, `unknown grouping ${flow.groupBy}`);
  }
}

function requireFlow(spec: InsightQuerySpec): UserFlowQuery {
  if (!spec.userFlow) throw new FieldError(FIELD, "required for USER_FLOW");
  refuseUnusedParts(spec, "USER_FLOW", ["user_flow"]);
  return spec.userFlow;
}

export const buildUserFlow: InsightBuilder = (input) => {
  const { spec, params } = input;
  const flow = requireFlow(spec);
  checkGroupBy(flow);
  const limits = flowLimits(flow);
  const scope = insightEventScope(input);
  const label = nodeLabel(flow, params);
  const scopeFilter = eventFilterSql(flow.scope, scope.filters, `${FIELD}.scope`);
  const nodeCount = params.add(limits.maxHops + 1, "UInt32");
  const where = `${scope.where} AND ${EVENTS}.session_id != '' AND ${scopeFilter} AND ${label} != ''`;
  const from = scope.from();
  // Sessions' paths are built from label hashes and times kept in two arrays: arrays of (time, text) tuples cost
  // twice as much to collect (10 M events: 1.8 → 0.9 s). A second, light query maps the hashes back to labels.
  // Events without a label are no node, so 0 can stand for "no previous label" when collapsing repeats; events
  // at the same instant are ordered by label hash, so a path never depends on the order rows were read in.
  const transitionsSql = `SELECT toUInt32(step - 1) AS depth, toString(path[step]) AS source, toString(path[step + 1]) AS target, count() AS sessions
FROM (
  SELECT arraySlice(arrayFilter((node, previous) -> node != previous, nodes, arrayPushFront(arrayPopBack(nodes), toUInt64(0))), 1, ${nodeCount}) AS path
  FROM (
    SELECT arraySort((node, at) -> (at, node), groupArray(cityHash64(${label})), groupArray(toUnixTimestamp64Milli(${EVENTS}.occurred_at))) AS nodes
    FROM ${from}
    WHERE ${where}
    GROUP BY ${EVENTS}.session_id
  )
)
ARRAY JOIN arrayEnumerate(path) AS step
WHERE step < length(path)
GROUP BY depth, source, target`;
  const labelsSql = `SELECT toString(cityHash64(${label})) AS node, any(${label}) AS label FROM ${from} WHERE ${where} GROUP BY node`;
  return {
    queries: [
      { sql: transitionsSql, params: params.values },
      { sql: labelsSql, params: params.values },
    ],
    shape([rows, labels]) {
      const labelOf = new Map(labels!.map((row) => [String(row.node), String(row.label)]));
      const text = (node: unknown) => {
        const found = labelOf.get(String(node));
        // Both queries read the same events; a node without a label means they saw different data.
        if (found === undefined) throw new Error(`user flow: no label for node ${String(node)} (events removed between the two queries?)`);
        return found;
      };
      const transitions: Transition[] = rows!.map((row) => ({
        depth: Number(row.depth),
        source: text(row.source),
        target: text(row.target),
        sessions: Number(row.sessions),
      }));
      const graph = flowGraph(transitions, limits.maxNodes, limits.maxLinks);
      const value = create(UserFlowResultSchema, {
        nodes: graph.nodes,
        links: graph.links.map((link) => ({ source: link.source, target: link.target, value: BigInt(link.value) })),
      });
      return { case: "userFlow", value };
    },
  };
};
