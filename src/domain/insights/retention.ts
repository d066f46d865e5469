// RETENTION: persons grouped into cohorts by the bucket (granularity, reporting time zone) of their first start
// event (spec.events[0]) in the range; for each period k from the cohort's bucket to the range's last bucket,
// the percentage of the cohort who did the return event (spec.events[1], else the start event again) in bucket
// cohort + k. Period 0 is measured, as in Pug: return events in the cohort's own bucket count from the first
// start event on, so with the start event as return event it is 100%, with another return event it may be less.
// Points are dense (0% where nobody came back); each carries its bucket's instant. One query.

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Granularity, type QueryResponse, RetentionCohortSchema, RetentionResultSchema, RetentionSeriesSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { insightEventScope } from "./event-scope.ts";
import { firstTouchBreakdowns } from "./first-touch-breakdowns.ts";
import type { InsightBuilder } from "./insight-plan.ts";
import { refuseOtherInsightFields, stepCondition } from "./person-insights.ts";
import type { QueryParams } from "./query-params.ts";
import { bucketSql, type TimeWindow } from "./time-window.ts";

export const buildRetention: InsightBuilder = (input) => {
  const { spec, window, params } = input;
  refuseOtherInsightFields(spec, "RETENTION");
  if (spec.events.length === 0 || spec.events.length > 2) {
    throw new FieldError("spec.events", `${spec.events.length} events; retention takes a start event and optionally a return event`);
  }
  if (spec.conversionWindow) throw new FieldError("spec.conversion_window", "funnels only");
  if (spec.includeStepTiming) throw new FieldError("spec.include_step_timing", "funnels only");

  const starts = insightEventScope(input);
  const start = stepCondition(spec, 0, starts);
  const breakdowns = firstTouchBreakdowns(spec, params, "e");
  const startPerson = starts.person();
  const returns = insightEventScope(input);
  const back = stepCondition(spec, spec.events.length - 1, returns);
  const returnPerson = returns.person();
  const period = periodSql(window, params);

  const cohorts = `SELECT ${startPerson} AS person, min(e.occurred_at) AS first_at${breakdowns.columns.map((c) => `, ${c}`).join("")}
    FROM ${starts.from()} WHERE ${starts.where} AND ${start.sql} GROUP BY person`;
  const returned = `SELECT ${returnPerson} AS returner, ${bucketSql(window, params, "e.occurred_at")} AS back_bucket, max(e.occurred_at) AS last_at
    FROM ${returns.from()} WHERE ${returns.where} AND ${back.sql} GROUP BY returner, back_bucket`;
  const values = breakdowns.properties.map((_, i) => `, b${i}`).join("");
  const perPerson = `SELECT person, cohort${values},
    groupUniqArrayIf(${period.between("cohort", "back_bucket")}, returner != '' AND last_at >= first_at) AS periods_back
  FROM (SELECT *, ${bucketSql(window, params, "first_at")} AS cohort FROM (${cohorts})) AS s
  LEFT JOIN (${returned}) AS r ON r.returner = s.person
  GROUP BY person, cohort${values}`;

  const lastBucket = bucketSql(window, params, `fromUnixTimestamp64Milli(${params.add(window.toMs - 1, "Int64")}, 'UTC')`);
  const groups = breakdowns.groups;
  const sql = `SELECT ${groups.map((g) => `${g}, `).join("")}toUnixTimestamp(cohort) AS cohort_at, count() AS cohort_size,
  sumMap(periods_back, arrayMap(k -> toUInt64(1), periods_back)) AS back_per_period,
  arrayMap(k -> toUnixTimestamp(${period.add("cohort", "k")}), range(toUInt64(${period.between("cohort", lastBucket)} + 1))) AS period_starts
FROM (${breakdowns.ranked(perPerson)})
GROUP BY ${[...groups, "cohort"].join(", ")}
ORDER BY ${groups.length ? `${groups[0]} = '$others', ${groups.join(", ")}, ` : ""}cohort`;

  return {
    queries: [{ sql, params: params.values }],
    shape([rows]): QueryResponse["result"] {
      const byBreakdown = new Map<string, { breakdown: Record<string, string>; cohorts: ReturnType<typeof cohortOf>[] }>();
      for (const row of rows!) {
        const breakdown = breakdowns.breakdownOf(row);
        const key = JSON.stringify(breakdowns.groups.map((g) => row[g]));
        if (!byBreakdown.has(key)) byBreakdown.set(key, { breakdown, cohorts: [] });
        byBreakdown.get(key)!.cohorts.push(cohortOf(row));
      }
      const series = [...byBreakdown.values()].map((s) => create(RetentionSeriesSchema, s));
      if (series.length === 0) series.push(create(RetentionSeriesSchema, {}));
      return { case: "retention", value: create(RetentionResultSchema, { series }) };
    },
  };
};

function cohortOf(row: Record<string, unknown>) {
  const size = Number(row.cohort_size);
  const [periods, counts] = row.back_per_period as [unknown[], unknown[]];
  const backIn = new Map(periods.map((k, i) => [Number(k), Number(counts[i])]));
  return create(RetentionCohortSchema, {
    cohort: new Date(Number(row.cohort_at) * 1000).toISOString().replace(".000Z", "Z"),
    cohortSize: size,
    points: (row.period_starts as unknown[]).map((at, k) => ({ time: timestampFromMs(Number(at) * 1000), value: ((backIn.get(k) ?? 0) * 100) / size })),
  });
}

/** Periods between two bucket starts of the window's granularity, and a bucket start plus k periods. */
function periodSql(window: TimeWindow, params: QueryParams): { between(from: string, to: string): string; add(bucket: string, k: string): string } {
  const tz = params.add(window.timezone, "String");
  const seconds = (unit: number) => (from: string, to: string) => `intDiv(toUnixTimestamp(${to}) - toUnixTimestamp(${from}), ${unit})`;
  switch (window.granularity) {
    case Granularity.MINUTE:
      return { between: seconds(60), add: (b, k) => `addMinutes(${b}, ${k})` };
    case Granularity.HOUR:
      return { between: seconds(3600), add: (b, k) => `addHours(${b}, ${k})` };
    case Granularity.DAY:
      return { between: (from, to) => `dateDiff('day', ${from}, ${to}, ${tz})`, add: (b, k) => `addDays(${b}, ${k})` };
    case Granularity.WEEK:
      return { between: (from, to) => `intDiv(dateDiff('day', ${from}, ${to}, ${tz}), 7)`, add: (b, k) => `addWeeks(${b}, ${k})` };
    case Granularity.MONTH:
      return { between: (from, to) => `dateDiff('month', ${from}, ${to}, ${tz})`, add: (b, k) => `addMonths(${b}, ${k})` };
    default:
      throw new FieldError("granularity", `unknown granularity ${window.granularity}`);
  }
}
