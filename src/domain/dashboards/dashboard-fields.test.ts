import { describe, expect, test } from "bun:test";
import { refusalOf } from "../field-refusal.ts";
import { checkHeader } from "./dashboard-fields.ts";

describe("dashboard header fields", () => {
  test("only the fields present come back", () => {
    expect(checkHeader({ description: "" })).toEqual({ description: "" });
    expect(checkHeader({ displayName: "Sales", defaultTimeRange: 4, defaultGranularity: 3 })).toEqual({ displayName: "Sales", defaultTimeRange: 4, defaultGranularity: 3 });
    expect(checkHeader({})).toEqual({});
  });

  test("names of 1–200 characters (counted as Postgres counts them), descriptions up to 2000", () => {
    expect(checkHeader({ displayName: "🐶".repeat(200) }).displayName).toHaveLength(400);
    expect(refusalOf(() => checkHeader({ displayName: "x".repeat(201) }))).toBe("display_name: at most 200 characters");
    expect(refusalOf(() => checkHeader({ displayName: "  " }))).toBe("display_name: required");
    expect(refusalOf(() => checkHeader({ description: "x".repeat(2001) }))).toBe("description: at most 2000 characters");
  });

  test("enum numbers the contract does not name are refused", () => {
    expect(refusalOf(() => checkHeader({ defaultTimeRange: 10 }))).toBe("default_time_range: unknown time range preset 10");
    expect(refusalOf(() => checkHeader({ defaultGranularity: 6 }))).toBe("default_granularity: unknown granularity 6");
    expect(checkHeader({ defaultTimeRange: 0, defaultGranularity: 0 })).toEqual({ defaultTimeRange: 0, defaultGranularity: 0 });
  });
});
