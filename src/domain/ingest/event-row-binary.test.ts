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
