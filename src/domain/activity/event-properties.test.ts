import { describe, expect, test } from "bun:test";
import { ValueType } from "../properties/value-types.ts";
import { type EventPageRow, shapeEvent, typedValue } from "./event-properties.ts";

const row = (extra: Partial<EventPageRow>): EventPageRow => ({
  event_id: "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f",
  kind: "page_view",
  distinct_id: "alice",
  occurred_ms: "1785000000123",
  session_id: "s1",
  auto_properties: {},
  auto_types: {},
  custom_properties: {},
  custom_types: {},
  ...extra,
});

describe("shapeEvent", () => {
  test("promoted columns join the auto properties under their $names, only when set, integers as numbers", () => {
    const shaped = shapeEvent(row({ browser: "Firefox", country: "DE", city: "", screen_width: 1440, screen_height: 0, url: "https://a.test/x" }));
    expect(shaped.autoProperties).toEqual({ $browser: "Firefox", $country: "DE", $screenWidth: 1440, $url: "https://a.test/x" });
    expect(shaped.occurredMs).toBe(1_785_000_000_123);
  });

  test("a promoted name comes from its column, never from the map; other auto keys keep their types", () => {
    const shaped = shapeEvent(row({
      referrer: "",
      auto_properties: { $referrer: "https://self.test/", $latitude: "52.5", $consent: "true", $lib: "web" },
      auto_types: { $latitude: ValueType.FLOAT, $consent: ValueType.BOOLEAN },
    }));
    expect(shaped.autoProperties).toEqual({ $latitude: 52.5, $consent: true, $lib: "web" });
  });

  test("custom properties keep their wire types", () => {
    const shaped = shapeEvent(row({
      custom_properties: { plan: "pro", seats: "12", price: "9.5", trial: "false", at: "2026-08-01T10:00:00.000Z", code: "007", __proto__x: "y" },
      custom_types: { seats: ValueType.INTEGER, price: ValueType.FLOAT, trial: ValueType.BOOLEAN, at: ValueType.DATETIME },
    }));
    expect({ ...shaped.customProperties }).toEqual({ plan: "pro", seats: 12, price: 9.5, trial: false, at: "2026-08-01T10:00:00.000Z", code: "007", __proto__x: "y" });
  });
});

describe("typedValue", () => {
  test.each([
    ["42", ValueType.INTEGER, 42],
    ["-1.25", ValueType.FLOAT, -1.25],
    ["", ValueType.INTEGER, ""],
    ["abc", ValueType.FLOAT, "abc"],
    ["true", ValueType.BOOLEAN, true],
    ["yes", ValueType.BOOLEAN, "yes"],
    ["12", ValueType.STRING, "12"],
  ] as const)("%p as type %p → %p", (text, type, expected) => {
    expect(typedValue(text, type)).toEqual(expected);
  });
});
