// FUNNEL: how many persons did the steps (spec.events) in order, each step within the conversion window of the
// person's step 1, and optionally how long each step took. One query.
//
// Per person, the events matching any step are sorted by (time in ms, steps matched) and folded in SQL: for each
// step the fold keeps the chain of times that reached it, started by the latest step-1 event (an event reaching
// step i extends the chain of step i-1 if it is within the window of that chain's start; a later start never
// shortens what can follow, which is also how ClickHouse's windowFunnel decides). One event advances at most
// one step. Why not windowFunnel itself: it needs whole-second or integer times and gives the reached step
// only, not the times of the steps; the fold gives both from one pass, so the counts with and without timing
// can never disagree. Events in the same millisecond count in step order.
//
// Counting alone keeps only each chain's start per step; timing keeps the chains' times. Persons who never did
// step 1 are left out before breakdown values are ranked. A person's step times come from the chain reaching
// their deepest step; the times between consecutive steps are summarised in TypeScript (funnel-timing.ts). The
// window is inclusive: a last step exactly `conversion_window` after step 1 converts.

import { create } from "@bufbuild/protobuf";
import { type Duration } from "@bufbuild/protobuf/wkt";
import { FunnelResultSchema, FunnelSeriesSchema, FunnelStepSchema, type QueryResponse } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { insightEventScope } from "./event-scope.ts";
import { OTHERS } from "./breakdowns.ts";
import { firstTouchBreakdowns } from "./first-touch-breakdowns.ts";
import { stepTiming } from "./funnel-timing.ts";
import type { InsightBuilder } from "./insight-plan.ts";
import { stepCondition } from "./person-insights.ts";
import { refuseUnusedParts } from "./spec-scope.ts";

export const MAX_FUNNEL_STEPS = 20;
/**
 * A hit packs (ms since the range's start, steps matched) in one UInt64: the time above MASK_BITS bits of step mask
 * (a range of at most 3652 days is under 2^39 ms). Arrays of numbers are collected twice as fast as arrays of
 * tuples, and sorting the packed value orders hits by time, then steps, as the tuples did.
 */
const MASK_BITS = MAX_FUNNEL_STEPS;
const timeOf = (hit: string) => `toInt64(bitShiftRight(${hit}, ${MASK_BITS}))`;

export const buildFunnel: InsightBuilder = (input) => {
  const { spec, window, params } = input;
  refuseUnusedParts(spec, "FUNNEL", ["events", "breakdowns", "breakdown_limit", "conversion_window", "include_step_timing"]);
  const n = spec.events.length;
  if (n === 0 || n > MAX_FUNNEL_STEPS) throw new FieldError("spec.events", `${n} steps; a funnel has 1 to ${MAX_FUNNEL_STEPS}`);
  const windowMs = conversionWindowMs(spec.conversionWindow, window.toMs - window.fromMs);
  const scope = insightEventScope(input);
  const steps = spec.events.map((_, i) => stepCondition(spec, i, scope));
  const breakdowns = firstTouchBreakdowns(spec, params, "e");
  const person = scope.person();

  const mask = steps.map((step, i) => `if(${step.sql}, ${2 ** i}, 0)`).join(" + ");
  const since = params.add(window.fromMs, "Int64");
  const fold = (spec.includeStepTiming ? chainsFold : startsFold)(n, params.add(windowMs, "Int64"));
  const perPerson = `SELECT person, ${fold.level} AS level${spec.includeStepTiming ? ", arrayDifference(step_state[greatest(level, 1)]) AS gaps" : ""}${breakdowns.properties.map((_, i) => `, b${i}`).join("")}
  FROM (
    SELECT ${person} AS person, groupArray(bitShiftLeft(toUInt64(toUnixTimestamp64Milli(e.occurred_at) - ${since}), ${MASK_BITS}) + toUInt64(${mask})) AS hits, ${fold.sql} AS step_state${breakdowns.columns.map((c) => `, ${c}`).join("")}
    FROM ${scope.from()}
    WHERE ${scope.where} AND (${steps.map((step) => step.sql).join(" OR ")})
    GROUP BY person
  )
  WHERE level > 0`;

  const totals = steps.map((_, i) => `countIf(level > ${i}) AS s${i}`);
  const timings = spec.includeStepTiming ? steps.slice(1).map((_, j) => `groupArrayIf(gaps[${j + 2}], level > ${j + 1}) AS t${j + 1}`) : [];
  const groups = breakdowns.groups;
  const sql = `SELECT ${[...groups, ...totals, ...timings].join(", ")}
FROM (${breakdowns.ranked(perPerson)})
${groups.length ? `GROUP BY ${groups.join(", ")}\nORDER BY ${groups[0]} = '${OTHERS}', s0 DESC, ${groups.join(", ")}` : ""}`;

  return {
    queries: [{ sql, params: params.values }],
    shape([rows]): QueryResponse["result"] {
      const found = rows!.length ? rows! : [{}];
      const series = found.map((row) =>
        create(FunnelSeriesSchema, {
          breakdown: rows!.length ? breakdowns.breakdownOf(row) : {},
          steps: steps.map((step, i) =>
            create(FunnelStepSchema, {
              eventKind: step.kind,
              total: Number(row[`s${i}`] ?? 0),
              timing: spec.includeStepTiming && i > 0 ? stepTiming(((row[`t${i}`] as unknown[]) ?? []).map(Number)) : undefined,
            }),
          ),
        }),
      );
      return { case: "funnel", value: create(FunnelResultSchema, { series }) };
    },
  };
};

/**
 * The fold over a person's sorted `hits` (ms since the range's start, steps matched) when only counts are asked:
 * per step the start time of the latest chain that reached it (-1: none).
 */
function startsFold(n: number, within: string): { sql: string; level: string } {
  const sql = `arrayFold((acc, x) -> arrayMap(i -> if(bitTest(x, i),
      if(i = 0, ${timeOf("x")}, if(acc[i] >= 0 AND ${timeOf("x")} - acc[i] <= ${within}, acc[i], acc[i + 1])),
      acc[i + 1]), range(${n})), arraySort(hits), arrayWithConstant(${n}, toInt64(-1)))`;
  return { sql, level: "arrayCount(began -> began >= 0, step_state)" };
}

/** The same fold keeping each chain's times, for step timing. */
function chainsFold(n: number, within: string): { sql: string; level: string } {
  const sql = `arrayFold((acc, x) -> arrayMap(i -> if(bitTest(x, i),
      if(i = 0, [${timeOf("x")}], if(notEmpty(acc[i]) AND ${timeOf("x")} - acc[i][1] <= ${within}, arrayPushBack(acc[i], ${timeOf("x")}), acc[i + 1])),
      acc[i + 1]), range(${n})), arraySort(hits), arrayMap(i -> CAST([], 'Array(Int64)'), range(${n})))`;
  return { sql, level: "arrayCount(chain -> notEmpty(chain), step_state)" };
}

/** Whole seconds ≥ 1, in ms; absent: the length of the time range. */
export function conversionWindowMs(window: Duration | undefined, rangeMs: number): number {
  if (!window) return rangeMs;
  if (window.nanos !== 0) throw new FieldError("spec.conversion_window", "whole seconds only");
  if (window.seconds < 1n) throw new FieldError("spec.conversion_window", "at least 1s");
  if (window.seconds > 10n ** 10n) throw new FieldError("spec.conversion_window", "at most 10,000,000,000s");
  return Number(window.seconds) * 1000;
}
