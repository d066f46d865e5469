import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { EventFilterSchema, FilterOperator, PropertyFilterSchema } from "../../gen/common/v1/filters_pb.ts";
import { QueryParams } from "../insights/query-params.ts";
import { eventPageQuery, type EventPageInput } from "./event-page.ts";

const PROJECT = "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f";
const input = (extra: Partial<EventPageInput> = {}): EventPageInput => ({ params: new QueryParams(PROJECT), sessionId: "", propertyFilters: [], events: [], pageSize: 100, ...extra });

describe("eventPageQuery", () => {
  test("the plain page: project, no bots, newest days first, one row more than the page", () => {
    const { sql, params } = eventPageQuery(input());
    expect(sql).toContain("WHERE e.project_id = {project_id:UUID} AND NOT e.is_bot\n");
    expect(sql).toContain("ORDER BY toDate(e.occurred_at) DESC, e.occurred_at DESC, e.event_id DESC\nLIMIT {p0:UInt32}");
    expect(sql).not.toContain("JOIN");
    expect(params).toEqual({ project_id: PROJECT, p0: 101 });
  });

  test("every caller value is a parameter: ids, session, range, cursor, kinds (any of) and filters", () => {
    const { sql, params } = eventPageQuery(input({
      distinctIds: ["alice", "anon-1"],
      sessionId: "s'1",
      range: { fromMs: 1000, toMs: 2000 },
      after: { occurredMs: 1500, eventId: PROJECT },
      events: [create(EventFilterSchema, { kind: "signup" }), create(EventFilterSchema, { kind: "x' OR 1=1 --" })],
      propertyFilters: [create(PropertyFilterSchema, { property: "plan", operator: FilterOperator.EQUALS, value: "gold" })],
    }));
    for (const text of ["alice", "s'1", "signup", "x' OR", "plan", "gold"]) expect(sql).not.toContain(text);
    expect(Object.values(params)).toEqual(expect.arrayContaining([["alice", "anon-1"], "s'1", 1000, 2000, 1500, PROJECT, "signup", "x' OR 1=1 --", "plan", "gold"]));
    expect(sql).toMatch(/\(\(e\.kind = \{p\d+:String\}\) OR \(e\.kind = \{p\d+:String\}\)\)/);
    expect(sql).toMatch(/e\.occurred_at <= fromUnixTimestamp64Milli\(\{p\d+:Int64\}, 'UTC'\) AND \(e\.occurred_at < fromUnixTimestamp64Milli\(\{p\d+:Int64\}, 'UTC'\) OR e\.event_id < \{p\d+:UUID\}\)/);
  });

  test("an empty event filter among others matches everything; a PROFILE filter joins persons", () => {
    expect(eventPageQuery(input({ events: [create(EventFilterSchema, { kind: "a" }), create(EventFilterSchema, {})] })).sql).not.toContain("e.kind =");
    const profile = create(PropertyFilterSchema, { property: "plan", operator: FilterOperator.EQUALS, value: "pro", source: PropertySource.PROFILE });
    expect(eventPageQuery(input({ propertyFilters: [profile] })).sql).toContain("LEFT JOIN (");
  });

  test.each([
    [{ sessionId: "s".repeat(201) }, "session_id"],
    [{ events: Array.from({ length: 51 }, () => create(EventFilterSchema, { kind: "a" })) }, "events"],
    [{ propertyFilters: [create(PropertyFilterSchema, { property: "", operator: FilterOperator.EQUALS })] }, "property_filters[0].property"],
  ] as [Partial<EventPageInput>, string][])("refuses bad input naming %#", (extra, field) => {
    expect(() => eventPageQuery(input(extra))).toThrow(`${field}:`);
  });
});
