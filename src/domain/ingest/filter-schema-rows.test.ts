import { describe, expect, test } from "bun:test";
import type { EventRow } from "./event-row.ts";
import { FilterSchemaTally, filterSchemaPart, filterSchemaPartBytes, filterSchemaRows, fitsValue } from "./filter-schema-rows.ts";

const PROJECT = "0b5d6c1e-8f0a-4c55-9a11-2f7d3e4b5a61";
const OTHER = "7f3e2d1c-0b9a-4877-8665-544332211000";

function row(overrides: Partial<EventRow> = {}): EventRow {
  return {
    project_id: PROJECT, event_id: crypto.randomUUID(), kind: "page_view", occurred_at: 1_000, received_at: 2_000, distinct_id: "d",
    session_id: "", cookieless: false, is_bot: false, url: "", pathname: "", hostname: "", referrer: "", referrer_domain: "", channel: "",
    utm_source: "", utm_medium: "", utm_campaign: "", utm_term: "", utm_content: "", page_title: "", locale: "", screen_width: 0,
    screen_height: 0, platform: "", sdk_version: "", browser: "", browser_version: "", os: "", os_version: "", device_type: "",
    country: "", region: "", city: "", auto_properties: {}, auto_types: {}, custom_properties: {}, custom_numbers: {}, custom_types: {},
    ...overrides,
  };
}

const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r) as T);

describe("filterSchemaRows", () => {
  test("event names: rows counted per project and kind, last seen the latest received_at", () => {
    const { eventNames } = filterSchemaRows([
      row({ received_at: 5 }), row({ received_at: 9 }), row({ kind: "signup", received_at: 7 }), row({ project_id: OTHER, received_at: 3 }),
    ]);
    expect(sorted(eventNames)).toEqual(sorted([
      { project_id: PROJECT, kind: "page_view", count: 2, last_seen: 9 },
      { project_id: PROJECT, kind: "signup", count: 1, last_seen: 7 },
      { project_id: OTHER, kind: "page_view", count: 1, last_seen: 3 },
    ]));
  });

  test("promoted columns count under their $ names only when set, screen sizes as integers; their copies in auto_properties are ignored", () => {
    const { propertyKeys, propertyValues } = filterSchemaRows([
      row({ url: "https://a.example/x", screen_width: 1920, city: "Paris", auto_properties: { $url: "https://stale.example/", $screenWidth: "1", theme: "dark" } }),
    ]);
    expect(sorted(propertyKeys.map((k) => [k.source, k.key, k.value_type, k.count]))).toEqual(sorted([
      [1, "$url", 1, 1], [1, "$screenWidth", 2, 1], [1, "$city", 1, 1], [1, "theme", 1, 1],
    ]));
    expect(sorted(propertyValues.map((v) => [v.source, v.key, v.value]))).toEqual(sorted([
      [1, "$url", "https://a.example/x"], [1, "$screenWidth", "1920"], [1, "$city", "Paris"], [1, "theme", "dark"],
    ]));
  });

  test("types come from the *_types maps (absent: string); datetimes, empty and over-long values have no value row", () => {
    const { propertyKeys, propertyValues } = filterSchemaRows([
      row({
        auto_properties: { at: "2026-01-01 00:00:00.000", n: "3", empty: "" },
        auto_types: { at: 5, n: 2, unused: 3 },
        custom_properties: { $url: "custom", long: "x".repeat(257), edge: "y".repeat(256), wide: "é".repeat(129), when: "2026-01-01" },
        custom_types: { when: 5 },
      }),
    ]);
    expect(sorted(propertyKeys.map((k) => [k.source, k.key, k.value_type]))).toEqual(sorted([
      [1, "at", 5], [1, "n", 2], [1, "empty", 1], [2, "$url", 1], [2, "long", 1], [2, "edge", 1], [2, "wide", 1], [2, "when", 5],
    ]));
    expect(sorted(propertyValues.map((v) => [v.source, v.key, v.value]))).toEqual(sorted([[1, "n", "3"], [2, "$url", "custom"], [2, "edge", "y".repeat(256)]]));
  });

  test("a key sent with two types has a row per type; keys named like Object's own members are plain keys", () => {
    const { propertyKeys } = filterSchemaRows([
      row({ custom_properties: { seats: "3", constructor: "c" }, custom_types: { seats: 2 } }),
      row({ custom_properties: { seats: "three" } }),
    ]);
    expect(sorted(propertyKeys.map((k) => [k.key, k.value_type, k.count]))).toEqual(sorted([["seats", 2, 1], ["seats", 1, 1], ["constructor", 1, 1]]));
  });

  test("tallies of parts add up to the tally of the whole", () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      row({ kind: ["a", "b"][i % 2]!, received_at: i * 7 % 23, url: `u${i % 3}`, custom_properties: { k: `v${i % 5}` }, project_id: i % 4 ? PROJECT : OTHER }));
    const whole = filterSchemaRows(rows);
    const parts = new FilterSchemaTally().addPart(filterSchemaPart(rows.slice(0, 13))).addPart(filterSchemaPart(rows.slice(13))).rows();
    expect(sorted(parts.eventNames)).toEqual(sorted(whole.eventNames));
    expect(sorted(parts.propertyKeys)).toEqual(sorted(whole.propertyKeys));
    expect(sorted(parts.propertyValues)).toEqual(sorted(whole.propertyValues));
    // Promoted keys and values given back by a part go to their own slots: no row twice.
    const again = new FilterSchemaTally().add(rows.slice(0, 13)).addPart(filterSchemaPart(rows.slice(13))).rows();
    expect(sorted(again.propertyKeys)).toEqual(sorted(whole.propertyKeys));
    expect(sorted(again.propertyValues)).toEqual(sorted(whole.propertyValues));
    expect(whole.propertyValues.filter((v) => v.key === "$url" && v.value === "u0").reduce((sum, v) => sum + v.count, 0)).toBe(14);
  });
});

describe("filterSchemaPartBytes", () => {
  test("counts the part's cells and its texts", () => {
    const part = filterSchemaPart([row({ url: "u".repeat(100), custom_properties: { k: "vvv" } })]);
    // 1 group (2 + 2 cells), keys $url and k (12 cells), values $url and k (12 cells); texts "$url" + 100 + "k" + "vvv".
    expect(filterSchemaPartBytes(part)).toBe(8 * 28 + (4 + 1) + (4 + 100 + 1 + 3));
  });
});

describe("fitsValue", () => {
  test("counts UTF-8 bytes, surrogate pairs as 4 and lone surrogates as 3", () => {
    expect(fitsValue("")).toBe(false);
    expect(fitsValue("a".repeat(256))).toBe(true);
    expect(fitsValue("a".repeat(257))).toBe(false);
    expect(fitsValue("€".repeat(85) + "a")).toBe(true);
    expect(fitsValue("€".repeat(86))).toBe(false);
    expect(fitsValue("😀".repeat(64))).toBe(true);
    expect(fitsValue("😀".repeat(64) + "a")).toBe(false);
    expect(fitsValue("\ud800".repeat(85) + "a")).toBe(true);
    expect(fitsValue("\ud800".repeat(86))).toBe(false);
  });
});
