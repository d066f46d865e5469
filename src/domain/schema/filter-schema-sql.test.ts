import { describe, expect, test } from "bun:test";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { propertyKeysQuery, propertyValuesQuery, propertyValuesSource } from "./filter-schema-sql.ts";

const PROJECT = "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f";

describe("propertyKeysQuery", () => {
  test("no kind, no types: every key of the project, rows summed, at most 1000 per source", () => {
    const { sql, params } = propertyKeysQuery(PROJECT, "", []);
    expect(sql).toContain("WHERE project_id = {project_id:UUID}\n");
    expect(sql).not.toContain("HAVING");
    expect(sql).toContain("LIMIT 1000 BY source");
    expect(params).toEqual({ project_id: PROJECT });
  });

  test("a kind keeps that kind's event keys and every profile key; types become a parameter", () => {
    const { sql, params } = propertyKeysQuery(PROJECT, "sign'up", [2, 4]);
    expect(sql).toContain("AND (kind = {p0:String} OR source = 3)");
    expect(sql).toContain("HAVING value_type IN {p1:Array(UInt8)}");
    expect(params).toEqual({ project_id: PROJECT, p0: "sign'up", p1: [2, 4] });
  });

  test.each([[[0], "allowed_types[0]: unspecified"], [[1, 7], "allowed_types[1]: unknown value type 7"]])("types %p refused", (types, message) => {
    expect(() => propertyKeysQuery(PROJECT, "", types)).toThrow(message);
  });

  test("a kind too long is refused", () => {
    expect(() => propertyKeysQuery(PROJECT, "k".repeat(201), [])).toThrow("event_kind:");
  });
});

describe("GetPropertyValues", () => {
  test.each([
    ["$browser", PropertySource.UNSPECIFIED, PropertySource.AUTO],
    ["plan", PropertySource.UNSPECIFIED, PropertySource.CUSTOM],
    ["user.address-line_2", PropertySource.UNSPECIFIED, PropertySource.CUSTOM],
    ["$browser", PropertySource.CUSTOM, PropertySource.CUSTOM],
    ["email", PropertySource.PROFILE, PropertySource.PROFILE],
  ] as const)("%s with source %p reads source %p", (key, source, resolved) => {
    expect(propertyValuesSource(key, source)).toBe(resolved);
  });

  test.each(["", "a b", "a..b", ".a", "a.", "$", "$$a", "é", "a'b"])("key %p refused naming property_key", (key) => {
    expect(() => propertyValuesSource(key, PropertySource.UNSPECIFIED)).toThrow("property_key:");
  });

  test("an unknown source is refused naming source", () => {
    expect(() => propertyValuesSource("a", 9 as PropertySource)).toThrow("source: unknown property source 9");
  });

  test("values of one key and kind, last 30 days, most frequent first; profile traits ignore the kind", () => {
    const { sql, params } = propertyValuesQuery(PROJECT, "plan", PropertySource.UNSPECIFIED, "signup");
    expect(sql).toContain("source = {p1:UInt8} AND key = {p2:String} AND kind = {p0:String}");
    expect(sql).toContain("last_seen >= now64(3) - INTERVAL 30 DAY");
    expect(sql).toContain("ORDER BY sum(count) DESC, value\nLIMIT 100");
    expect(params).toEqual({ project_id: PROJECT, p0: "signup", p1: 2, p2: "plan" });
    expect(propertyValuesQuery(PROJECT, "email", PropertySource.PROFILE, "signup").params).toEqual({ project_id: PROJECT, p0: 3, p1: "email" });
  });
});
