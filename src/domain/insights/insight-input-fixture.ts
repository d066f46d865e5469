// For unit tests of builders: the input of one insight query over a fixed week, with a fresh parameter set.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Granularity, type InsightQuerySpecSchema, InsightQuerySpecSchema as SpecSchema, type InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import type { InsightInput } from "./insight-plan.ts";
import { QueryParams } from "./query-params.ts";

export const FIXTURE_PROJECT = "0190aaaa-0000-7000-8000-000000000001";

export type SpecInit = MessageInitShape<typeof InsightQuerySpecSchema>;

export function insightInput(insightType: InsightType, spec: SpecInit): InsightInput {
  return {
    spec: create(SpecSchema, { insightType, ...spec }),
    window: { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 8), granularity: Granularity.DAY, timezone: "UTC" },
    params: new QueryParams(FIXTURE_PROJECT),
  };
}
