import { describe, expect, test } from "bun:test";
import { fromBinary, fromJson, toBinary } from "@bufbuild/protobuf";
import { Granularity, QueryRequestSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { GetEventExplorerRequestSchema } from "../../gen/shared/activity/v1/activity_pb.ts";
import { explorerCacheKey, LIVE_TTL_SECONDS, queryCacheKey, SETTLED_TTL_SECONDS } from "./cache-key.ts";
import { timeWindow } from "./time-window.ts";

const PROJECT = "0b6f2f1e-3a52-4c1b-9d0e-1f2a3b4c5d6e";
const OTHER = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const NOW = Date.parse("2026-12-03T12:00:00Z");

const json = {
  spec: { insightType: "INSIGHT_TYPE_TRENDS", events: [{ event: { kind: "signup", filters: [{ property: "plan", operator: "FILTER_OPERATOR_EQUALS", value: "pro" }] }, aggregation: "AGGREGATION_TYPE_TOTAL" }] },
  timeRange: { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" },
  granularity: "GRANULARITY_DAY",
};

function keyOf(body: unknown, options: { project?: string; tz?: string; now?: number } = {}) {
  const request = fromJson(QueryRequestSchema, body as never, { ignoreUnknownFields: true });
  const window = timeWindow(request.timeRange, request.granularity, options.tz ?? "UTC");
  return queryCacheKey(options.project ?? PROJECT, request, window, options.now ?? NOW);
}

describe("queryCacheKey", () => {
  test("the same question spelled differently has one key: field order, snake_case names, enum numbers, timezone, unknown fields", () => {
    const base = keyOf(json);
    const respelled = {
      granularity: 3,
      time_range: { to: "2026-12-01T00:00:00.000Z", from: "2026-11-01T01:00:00+01:00" },
      timezone: "America/New_York",
      dashboard_only: true,
      spec: { events: [{ aggregation: 1, event: { filters: [{ value: "pro", operator: 1, property: "plan" }], kind: "signup" } }], insight_type: 1 },
    };
    expect(keyOf(respelled)).toEqual(base);
    expect(base.parts.slice(0, 3)).toEqual(["insights", "q1", PROJECT]);
    expect(base.parts[3]).toMatch(/^[0-9a-f]{40}$/);
  });

  test("unknown fields carried in binary do not split keys", () => {
    const request = fromJson(QueryRequestSchema, json as never);
    // Field 99, varint 1: what a newer client's field looks like to us.
    const bytes = new Uint8Array([...toBinary(QueryRequestSchema, request), 0x98, 0x06, 0x01]);
    const withUnknown = fromBinary(QueryRequestSchema, bytes);
    expect(toBinary(QueryRequestSchema, withUnknown)).toEqual(bytes);
    const window = timeWindow(request.timeRange, Granularity.DAY, "UTC");
    expect(queryCacheKey(PROJECT, withUnknown, window, NOW)).toEqual(queryCacheKey(PROJECT, request, window, NOW));
  });

  test("time below the millisecond the window rounds to does not split keys; a millisecond does", () => {
    const base = keyOf(json);
    expect(keyOf({ ...json, timeRange: { from: "2026-11-01T00:00:00.000000400Z", to: "2026-11-30T23:59:59.999999100Z" } })).toEqual(base);
    expect(keyOf({ ...json, timeRange: { from: "2026-11-01T00:00:00.001Z", to: "2026-12-01T00:00:00Z" } }).parts[3]).not.toBe(base.parts[3]);
  });

  test("anything the answer depends on splits keys: project, reporting time zone, granularity, a filter value, the kind", () => {
    const base = keyOf(json).parts[3];
    const others = [
      keyOf(json, { tz: "Europe/Berlin" }).parts[3],
      keyOf({ ...json, granularity: "GRANULARITY_WEEK" }).parts[3],
      keyOf({ ...json, spec: { ...json.spec, events: [{ ...json.spec.events[0], event: { kind: "signup", filters: [{ property: "plan", operator: 1, value: "free" }] } }] } }).parts[3],
      keyOf({ ...json, spec: { ...json.spec, events: [{ ...json.spec.events[0], event: { kind: "login" } }] } }).parts[3],
      keyOf({ ...json, spec: { ...json.spec, includeCookieless: true } }).parts[3],
    ];
    expect(new Set([base, ...others]).size).toBe(6);
    const otherProject = keyOf(json, { project: OTHER });
    expect(otherProject.parts[2]).toBe(OTHER);
    expect(otherProject.parts[3]).toBe(base);
  });

  test("a range about the past lives 30 s; one reaching into the last minute or the future lives 5 s", () => {
    expect(keyOf(json).ttlSeconds).toBe(SETTLED_TTL_SECONDS);
    expect(SETTLED_TTL_SECONDS).toBe(30);
    const endingAt = (to: string) => keyOf({ ...json, timeRange: { from: "2026-12-02T00:00:00Z", to } }).ttlSeconds;
    expect(endingAt("2026-12-03T11:59:00Z")).toBe(SETTLED_TTL_SECONDS);
    expect(endingAt("2026-12-03T11:59:00.001Z")).toBe(LIVE_TTL_SECONDS);
    expect(endingAt("2026-12-03T12:00:00Z")).toBe(LIVE_TTL_SECONDS);
    expect(endingAt("2026-12-04T00:00:00Z")).toBe(LIVE_TTL_SECONDS);
    expect(LIVE_TTL_SECONDS).toBe(5);
  });
});

describe("explorerCacheKey", () => {
  const page = (body: unknown) => fromJson(GetEventExplorerRequestSchema, body as never);

  test("a page of the explorer is keyed apart from insights and per project, page token and filters", () => {
    const first = explorerCacheKey(PROJECT, page({ pageSize: 100 }), NOW);
    expect(first.parts.slice(0, 3)).toEqual(["explorer", "q1", PROJECT]);
    expect(explorerCacheKey(PROJECT, page({ page_size: 100 }), NOW)).toEqual(first);
    expect(explorerCacheKey(OTHER, page({ pageSize: 100 }), NOW).parts).not.toEqual(first.parts);
    expect(explorerCacheKey(PROJECT, page({ pageSize: 100, pageToken: "abc" }), NOW).parts).not.toEqual(first.parts);
    expect(explorerCacheKey(PROJECT, page({ pageSize: 100, events: [{ kind: "signup" }] }), NOW).parts).not.toEqual(first.parts);
  });

  test("without a range, or with one reaching into the last minute, a page is live", () => {
    expect(explorerCacheKey(PROJECT, page({}), NOW).ttlSeconds).toBe(LIVE_TTL_SECONDS);
    expect(explorerCacheKey(PROJECT, page({ timeRange: { from: "2026-11-01T00:00:00Z", to: "2026-12-03T11:59:30Z" } }), NOW).ttlSeconds).toBe(LIVE_TTL_SECONDS);
    expect(explorerCacheKey(PROJECT, page({ timeRange: { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" } }), NOW).ttlSeconds).toBe(SETTLED_TTL_SECONDS);
  });
});
