import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FilterGroupSchema, FilterOperator as Op, LogicalOperator } from "../../gen/common/v1/filters_pb.ts";
import { FieldError } from "../field-error.ts";
import { MAX_FILTERS, profileFilterSql } from "./profile-filter-sql.ts";

type FilterInit = { property: string; operator: Op; value?: string; values?: string[]; source?: PropertySource };
const group = (filters: FilterInit[], operator = LogicalOperator.UNSPECIFIED) => create(FilterGroupSchema, { filters, operator });
const one = (filter: FilterInit, paramsBefore = 0) => profileFilterSql([group([filter])], LogicalOperator.UNSPECIFIED, "traits", paramsBefore);
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof FieldError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error("no refusal");
};

describe("profile filter SQL", () => {
  test("no groups, or only empty ones, is TRUE without parameters", () => {
    expect(profileFilterSql([], LogicalOperator.AND, "traits")).toEqual({ text: "TRUE", params: [] });
    expect(profileFilterSql([group([])], LogicalOperator.OR, "traits")).toEqual({ text: "TRUE", params: [] });
  });

  test("trait names and values are parameters, numbered after the caller's", () => {
    const { text, params } = one({ property: "plan'; DROP TABLE profiles; --", operator: Op.EQUALS, value: "x' OR 1=1" }, 3);
    expect(params).toEqual(["plan'; DROP TABLE profiles; --", "x' OR 1=1"]);
    expect(text).not.toContain("DROP");
    expect(text).not.toContain("1=1");
    expect(text).toContain("$4::text");
    expect(text).toContain("$5::text");
  });

  test("EQUALS compares as a number and a boolean only when the value reads as one", () => {
    expect(one({ property: "p", operator: Op.EQUALS, value: "pro" }).text).not.toMatch(/numeric|boolean/);
    const numeric = one({ property: "p", operator: Op.EQUALS, value: "3.0" });
    expect(numeric.text).toContain("::numeric");
    expect(numeric.text).not.toContain("::boolean");
    expect(numeric.params).toEqual(["p", "3.0", "3.0"]);
    expect(one({ property: "p", operator: Op.EQUALS, value: "true" }).text).toContain("::boolean");
  });

  test("negations match missing traits (IS NOT TRUE), order comparisons only numbers", () => {
    expect(one({ property: "p", operator: Op.NOT_EQUALS, value: "a" }).text).toEndWith("IS NOT TRUE");
    expect(one({ property: "p", operator: Op.NOT_CONTAINS, value: "a" }).text).toEndWith("IS NOT TRUE");
    expect(one({ property: "p", operator: Op.NOT_IN, values: ["a", "b"] }).text).toEndWith("IS NOT TRUE");
    expect(one({ property: "p", operator: Op.GTE, value: "10" }).text).toMatch(/= 'number' THEN .*::numeric END >= \$2::text::numeric$/);
    expect(one({ property: "p", operator: Op.BETWEEN, values: ["1", "5"] }).params).toEqual(["p", "1", "5"]);
  });

  test("groups combine with their own operator, and with the operator between groups", () => {
    const { text } = profileFilterSql(
      [group([{ property: "a", operator: Op.IS_SET }, { property: "b", operator: Op.IS_NOT_SET }], LogicalOperator.OR), group([{ property: "c", operator: Op.IS_SET }])],
      LogicalOperator.AND,
      "traits",
    );
    expect(text).toMatch(/^\(\(.* OR NOT \(.*\)\) AND coalesce/);
  });

  test.each<[string, FilterInit, string, RegExp]>([
    ["an event source", { property: "p", operator: Op.EQUALS, value: "x", source: PropertySource.CUSTOM }, "filter_groups[0].filters[0].source", /profile traits only.*CUSTOM/],
    ["the auto source", { property: "p", operator: Op.IS_SET, source: PropertySource.AUTO }, "filter_groups[0].filters[0].source", /AUTO properties belong to events/],
    ["no operator", { property: "p", operator: Op.UNSPECIFIED, value: "x" }, "filter_groups[0].filters[0].operator", /required/],
    ["an unknown operator", { property: "p", operator: 99 as Op, value: "x" }, "filter_groups[0].filters[0].operator", /unknown operator 99/],
    ["no property", { property: "", operator: Op.IS_SET }, "filter_groups[0].filters[0].property", /required/],
    ["a text bound for GT", { property: "p", operator: Op.GT, value: "ten" }, "filter_groups[0].filters[0].value", /not a number/],
    ["Infinity for LT", { property: "p", operator: Op.LT, value: "Infinity" }, "filter_groups[0].filters[0].value", /not a number/],
    ["one value for BETWEEN", { property: "p", operator: Op.BETWEEN, values: ["1"] }, "filter_groups[0].filters[0].values", /exactly 2/],
    ["three values for NOT_BETWEEN", { property: "p", operator: Op.NOT_BETWEEN, values: ["1", "2", "3"] }, "filter_groups[0].filters[0].values", /exactly 2/],
    ["bounds out of order", { property: "p", operator: Op.BETWEEN, values: ["5", "1"] }, "filter_groups[0].filters[0].values", /lower bound first/],
    ["a text bound for BETWEEN", { property: "p", operator: Op.BETWEEN, values: ["1", "x"] }, "filter_groups[0].filters[0].values[1]", /not a number/],
    ["IN without values", { property: "p", operator: Op.IN }, "filter_groups[0].filters[0].values", /required/],
    ["IN with value", { property: "p", operator: Op.IN, value: "a", values: ["a"] }, "filter_groups[0].filters[0].value", /use values/],
    ["EQUALS with values", { property: "p", operator: Op.EQUALS, value: "a", values: ["a"] }, "filter_groups[0].filters[0].values", /must be empty/],
    ["IS_SET with a value", { property: "p", operator: Op.IS_SET, value: "a" }, "filter_groups[0].filters[0].value", /must be empty/],
    ["CONTAINS nothing", { property: "p", operator: Op.CONTAINS }, "filter_groups[0].filters[0].value", /required/],
  ])("refuses %s, naming the field", (_, filter, field, message) => {
    const error = refusal(() => one(filter));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  test("the number of filters is bounded", () => {
    const many = Array.from({ length: MAX_FILTERS + 1 }, () => ({ property: "p", operator: Op.IS_SET }));
    expect(refusal(() => profileFilterSql([group(many)], LogicalOperator.AND, "traits")).field).toBe("filter_groups");
    expect(profileFilterSql([group(many.slice(1))], LogicalOperator.AND, "traits").params).toHaveLength(MAX_FILTERS);
  });
});
