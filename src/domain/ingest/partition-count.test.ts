import { expect, test } from "bun:test";
import { partitionCountOf } from "./partition-count.ts";

test("the partition count is the number of partition streams 0…n-1; a hole is refused naming what is missing", () => {
  expect(partitionCountOf(["profiles", "events", "events_dlq", "events_p2", "events_p1", "email"])).toBe(3);
  expect(partitionCountOf(["events"])).toBe(1);
  expect(partitionCountOf(["profiles", "migrations"])).toBe(0);
  expect(() => partitionCountOf(["events", "events_p1", "events_p3"])).toThrow("events_p2 missing of 0…3");
  expect(() => partitionCountOf(["events_p1"])).toThrow("events missing of 0…1");
});
