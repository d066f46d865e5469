import { expect, test } from "bun:test";
import { EVENT_COLUMNS, encodeEventRows } from "./event-row-binary.ts";
import type { EventRow } from "./event-row.ts";

test("the columns are the events table's, in the order they are written", () => {
  expect(EVENT_COLUMNS.slice(0, 4)).toEqual(["project_id", "event_id", "kind", "occurred_at"]);
  expect(EVENT_COLUMNS).toHaveLength(39);
  expect(new Set(EVENT_COLUMNS).size).toBe(39);
});

test("a value the format cannot hold is refused, naming the event and the column", () => {
  const row = { project_id: "0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5a", event_id: "e-1", occurred_at: "2026-03-01 12:00:00.000" } as EventRow;
  expect(() => encodeEventRows([row])).toThrow('event e-1: event_id: not a UUID: "e-1"');
});

const blank = {
  kind: "", distinct_id: "", session_id: "", cookieless: false, is_bot: false, url: "", pathname: "", hostname: "", referrer: "",
  referrer_domain: "", channel: "", utm_source: "", utm_medium: "", utm_campaign: "", utm_term: "", utm_content: "", page_title: "",
  locale: "", screen_width: 0, screen_height: 0, platform: "", sdk_version: "", browser: "", browser_version: "", os: "", os_version: "",
  device_type: "", country: "", region: "", city: "", auto_properties: {}, auto_types: {}, custom_properties: {}, custom_numbers: {}, custom_types: {},
};

test("times are read as UTC milliseconds, and a time not in ClickHouse's text form is refused", () => {
  const row: EventRow = {
    ...blank, project_id: "0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5a", event_id: "0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5b",
    occurred_at: "1969-12-31 23:59:59.999", received_at: "2026-03-01 12:00:00.001",
  };
  const at = 16 + 16 + 1;
  const bytes = Buffer.from(encodeEventRows([row]));
  expect(bytes.subarray(at, at + 8).toString("hex")).toBe("ffffffffffffffff");
  expect(bytes.readBigInt64LE(at + 8)).toBe(BigInt(Date.parse("2026-03-01T12:00:00.001Z")));
  expect(() => encodeEventRows([{ ...row, occurred_at: "2026-03-01T12:00:00Z" }])).toThrow('occurred_at: not a time: "2026-03-01T12:00:00Z"');
});
