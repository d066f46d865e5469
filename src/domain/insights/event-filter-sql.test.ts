import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FilterOperator, LogicalOperator, PropertyFilterSchema } from "../../gen/common/v1/filters_pb.ts";
import { refusalOf as refusal } from "../field-refusal.ts";
import { eventFilterSql, type FilterContext, filterGroupsSql, propertyFilterSql } from "./event-filter-sql.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const filter = (property: string, operator: FilterOperator, value = "", values: string[] = [], source = PropertySource.UNSPECIFIED) =>
  create(PropertyFilterSchema, { property, operator, value, values, source });

function context(): FilterContext & { personRead: () => boolean } {
  let read = false;
  return {
    params: new QueryParams(PROJECT),
    events: "e",
    person: () => {
      read = true;
      return "person";
    },
    personRead: () => read,
  };
}


describe("event filter SQL", () => {
  test("a $name reads its promoted column, another $name auto_properties, any other name the custom maps", () => {
    const ctx = context();
    expect(propertyFilterSql(filter("$country", FilterOperator.EQUALS, "DE"), ctx, "f")).toBe("(1 AND e.country = {p0:String})");
    expect(propertyFilterSql(filter("$screenWidth", FilterOperator.GT, "1000"), ctx, "f")).toBe("ifNull(toNullable(toFloat64(e.screen_width)) > {p1:Float64}, 0)");
    expect(propertyFilterSql(filter("$wifi", FilterOperator.IS_SET), ctx, "f")).toBe("(mapContains(e.auto_properties, {p2:String}))");
    expect(propertyFilterSql(filter("plan", FilterOperator.NOT_CONTAINS, "Pro"), ctx, "f")).toBe("NOT (positionCaseInsensitiveUTF8(e.custom_properties[{p3:String}], {p4:String}) > 0)");
    expect(ctx.params.values).toMatchObject({ p0: "DE", p1: 1000, p2: "$wifi", p3: "plan", p4: "Pro" });
    expect(ctx.personRead()).toBe(false);
  });

  test("EQUALS also compares numbers when the value reads as one, so 3.0 finds 3", () => {
    const ctx = context();
    expect(propertyFilterSql(filter("items", FilterOperator.EQUALS, "3.0"), ctx, "f")).toBe(
      "((mapContains(e.custom_properties, {p0:String}) AND e.custom_properties[{p0:String}] = {p1:String}) OR ifNull(if(mapContains(e.custom_numbers, {p0:String}), e.custom_numbers[{p0:String}], NULL) = {p2:Float64}, 0))",
    );
    expect(ctx.params.values).toMatchObject({ p0: "items", p1: "3.0", p2: 3 });
  });

  test("a PROFILE filter asks for the event's person among people whose current traits match", () => {
    const ctx = context();
    const sql = propertyFilterSql(filter("plan", FilterOperator.EQUALS, "pro", [], PropertySource.PROFILE), ctx, "f");
    expect(sql).toStartWith("(person IN (SELECT external_id FROM (SELECT external_id, argMax(property_texts, version)");
    expect(sql).toContain("WHERE project_id = {project_id:UUID}");
    expect(ctx.personRead()).toBe(true);
    expect(refusal(() => propertyFilterSql(filter("plan", FilterOperator.EQUALS, "pro", [], PropertySource.PROFILE), { params: new QueryParams(PROJECT), events: "e" }, "f"))).toBe(
      "f.source: PROFILE filters are not available here",
    );
  });

  test("no name or value the caller gives appears in the SQL text", () => {
    const payloads = ["') OR 1=1 --", "{project_id:UUID}", "\\'; DROP TABLE events", "x\u0000y", "日本"];
    for (const payload of payloads) {
      for (const op of [FilterOperator.EQUALS, FilterOperator.NOT_EQUALS, FilterOperator.CONTAINS, FilterOperator.NOT_CONTAINS]) {
        for (const property of [payload, `$${payload}`]) {
          const ctx = context();
          const sql = filterGroupsSql([{ filters: [filter(property, op, payload)], operator: LogicalOperator.OR }], LogicalOperator.AND, ctx, "g", "o");
          expect(sql).not.toContain(payload);
        }
      }
      const ctx = context();
      expect(eventFilterSql({ $typeName: "common.v1.EventFilter", kind: payload, filters: [filter("k", FilterOperator.IN, "", [payload, "2"])] }, ctx, "ev")).not.toContain(payload);
    }
  });

  test("groups combine with their own operator, and with the operator between them", () => {
    const ctx = context();
    const sql = filterGroupsSql(
      [
        { filters: [filter("a", FilterOperator.IS_SET), filter("b", FilterOperator.IS_SET)], operator: LogicalOperator.OR },
        { filters: [], operator: LogicalOperator.AND },
        { filters: [filter("c", FilterOperator.IS_NOT_SET)], operator: LogicalOperator.UNSPECIFIED },
      ],
      LogicalOperator.AND,
      ctx,
      "spec.filter_groups",
      "spec.filter_groups_operator",
    );
    expect(sql).toBe("(((mapContains(e.custom_properties, {p0:String})) OR (mapContains(e.custom_properties, {p1:String}))) AND NOT (mapContains(e.custom_properties, {p2:String})))");
    expect(filterGroupsSql([], LogicalOperator.OR, ctx, "g", "o")).toBe("1");
  });

  test("refusals name the field", () => {
    const one = (f: ReturnType<typeof filter>) => refusal(() => filterGroupsSql([{ filters: [f], operator: LogicalOperator.AND }], LogicalOperator.AND, context(), "spec.filter_groups", "o"));
    const at = "spec.filter_groups[0].filters[0]";
    expect(one(filter("", FilterOperator.EQUALS, "x"))).toBe(`${at}.property: required`);
    expect(one(filter("x".repeat(201), FilterOperator.EQUALS, "x"))).toBe(`${at}.property: longer than 200 characters`);
    expect(one(filter("a", FilterOperator.UNSPECIFIED))).toBe(`${at}.operator: required`);
    expect(one(filter("a", 99 as FilterOperator))).toBe(`${at}.operator: unknown operator 99`);
    expect(one(filter("a", FilterOperator.GT, "ten"))).toBe(`${at}.value: 'ten' is not a number; GT compares numbers`);
    expect(one(filter("a", FilterOperator.LT, "Infinity"))).toBe(`${at}.value: 'Infinity' is not a number; LT compares numbers`);
    expect(one(filter("a", FilterOperator.BETWEEN, "", ["1"]))).toBe(`${at}.values: BETWEEN takes exactly 2 numbers, got 1`);
    expect(one(filter("a", FilterOperator.BETWEEN, "", ["5", "1"]))).toBe(`${at}.values: 5 is greater than 1; give the lower bound first`);
    expect(one(filter("a", FilterOperator.IN))).toBe(`${at}.values: required for IN`);
    expect(one(filter("a", FilterOperator.EQUALS, "x", ["y"]))).toBe(`${at}.values: must be empty for EQUALS`);
    expect(one(filter("a", FilterOperator.IS_SET, "x"))).toBe(`${at}.value: must be empty for IS_SET`);
    expect(one(filter("a", FilterOperator.CONTAINS))).toBe(`${at}.value: required for CONTAINS`);
    expect(one(filter("a", FilterOperator.EQUALS, "x", [], 7 as PropertySource))).toBe(`${at}.source: unknown property source 7`);
    expect(refusal(() => filterGroupsSql([{ filters: [filter("a", FilterOperator.IS_SET)], operator: 5 as LogicalOperator }], LogicalOperator.AND, context(), "g", "o"))).toBe("g[0].operator: unknown logical operator 5");
    const many = Array.from({ length: 51 }, () => filter("a", FilterOperator.IS_SET));
    expect(refusal(() => filterGroupsSql([{ filters: many, operator: LogicalOperator.AND }], LogicalOperator.AND, context(), "spec.filter_groups", "o"))).toBe("spec.filter_groups: 51 filters; at most 50 are allowed");
  });
});
