import { expect, test } from "bun:test";
import { mergeNativeBlocks } from "../sql/native-block-merge.ts";
import { EVENT_COLUMNS, encodeEventRows } from "./event-native.ts";
import type { EventRow } from "./event-row.ts";

test("the columns are the events table's, in the order they are written", () => {
  expect(EVENT_COLUMNS.slice(0, 4)).toEqual(["project_id", "event_id", "kind", "occurred_at"]);
  expect(EVENT_COLUMNS).toHaveLength(39);
  expect(new Set(EVENT_COLUMNS).size).toBe(39);
});

const blank = {
  kind: "", distinct_id: "", session_id: "", cookieless: false, is_bot: false, url: "", pathname: "", hostname: "", referrer: "",
  referrer_domain: "", channel: "", utm_source: "", utm_medium: "", utm_campaign: "", utm_term: "", utm_content: "", page_title: "",
  locale: "", screen_width: 0, screen_height: 0, platform: "", sdk_version: "", browser: "", browser_version: "", os: "", os_version: "",
  device_type: "", country: "", region: "", city: "", auto_properties: {}, auto_types: {}, custom_properties: {}, custom_numbers: {}, custom_types: {},
};
const row = (n: number, overrides: Partial<EventRow> = {}): EventRow => ({
  ...blank, project_id: "0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5a", event_id: `0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5${n}`,
  occurred_at: 0, received_at: 0, ...overrides,
});

test("a value the format cannot hold is refused, naming the event and the column", () => {
  expect(() => encodeEventRows([row(1), row(2, { event_id: "e-2" })])).toThrow('event e-2: event_id: not a UUID: "e-2"');
  expect(() => encodeEventRows([row(1), row(2, { screen_width: 70_000 })])).toThrow("event 0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b52: screen_width: not a UInt16: 70000");
  expect(() => encodeEventRows([row(1, { custom_types: { plan: 2 } }), row(2, { custom_types: { seats: 300 } })]))
    .toThrow("event 0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b52: custom_types: not a UInt8: 300");
  expect(() => encodeEventRows([row(1, { received_at: Number.NaN })])).toThrow("event 0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b51: received_at: not a time in milliseconds: NaN");
});

test("one block: the column and row counts, then each column named and typed; times as Int64 milliseconds", () => {
  const bytes = Buffer.from(encodeEventRows([row(1, { occurred_at: -1, received_at: Date.parse("2026-03-01T12:00:00.001Z") }), row(2)]));
  expect([bytes[0], bytes[1]]).toEqual([39, 2]);
  const header = (name: string, type: string) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from([type.length]), Buffer.from(type)]);
  const occurred = header("occurred_at", "DateTime64(3, 'UTC')");
  const at = bytes.indexOf(occurred) + occurred.length;
  expect(bytes.subarray(at, at + 16).toString("hex")).toBe("ffffffffffffffff0000000000000000");
  const received = header("received_at", "DateTime64(3, 'UTC')");
  expect(bytes.readBigInt64LE(bytes.indexOf(received) + received.length)).toBe(BigInt(Date.parse("2026-03-01T12:00:00.001Z")));
  for (const [name, type] of [["kind", "String"], ["cookieless", "Bool"], ["screen_width", "UInt16"], ["auto_types", "Map(String, UInt8)"], ["custom_numbers", "Map(String, Float64)"]]) {
    expect(bytes.indexOf(header(name!, type!))).toBeGreaterThan(0);
  }
});

test("the blocks of several messages join into the block of all their rows", () => {
  const rows = [
    row(1, { kind: "page_view", auto_properties: { $lib: "web" }, auto_types: {}, custom_numbers: { n: 1.5 }, custom_types: { n: 3 } }),
    row(2, { distinct_id: "пользователь", custom_properties: { plan: "pro", "": "" } }),
    row(3, { occurred_at: Date.parse("2026-03-01T12:00:00.123Z"), screen_width: 65_535, auto_types: { $visits: 2 } }),
  ];
  const joined = mergeNativeBlocks([encodeEventRows(rows.slice(0, 1)), encodeEventRows(rows.slice(1))]);
  expect(Buffer.from(joined).equals(Buffer.from(encodeEventRows(rows)))).toBe(true);
});

test("each block is bytes of its own: encoding the next one (into the same reused writer) leaves it as it was, even after a refusal", () => {
  const long = (n: number) => row(n, { page_title: "t".repeat(50_000), custom_properties: { plan: "pro" } });
  const first = encodeEventRows([long(1), long(2)]);
  const copy = Uint8Array.from(first);
  expect(() => encodeEventRows([row(3, { event_id: "not-a-uuid" })])).toThrow("not a UUID");
  const second = encodeEventRows([row(4)]);
  expect(first).toEqual(copy);
  expect(second).toEqual(encodeEventRows([row(4)]));
  expect(second[1]).toBe(1);
  expect(second.length).toBeLessThan(2_000);
});
