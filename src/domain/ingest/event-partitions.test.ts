import { describe, expect, test } from "bun:test";
import { partitionIndexOf, partitionOf, partitionStream } from "./event-partitions.ts";

describe("event partitions", () => {
  test("partition 0 is the original events stream; the others are events_p<i>, and the names read back", () => {
    expect([0, 1, 7].map(partitionStream)).toEqual(["events", "events_p1", "events_p7"]);
    expect(["events", "events_p1", "events_p12", "events_p0", "events_dlq", "profiles", "events_p01"].map(partitionIndexOf)).toEqual([0, 1, 12, undefined, undefined, undefined, undefined]);
  });

  test("a person always lands in the same partition, and people spread over all of them", () => {
    const project = "0b7e3c1e-7d4a-4d8e-9a55-0f3c2b1a9e10";
    expect(partitionOf(project, "anon-1", 8)).toBe(partitionOf(project, "anon-1", 8));
    // Fixed values: a change of the hash would send people to other partitions on upgrade.
    expect([partitionOf(project, "anon-1", 8), partitionOf(project, "user@example.com", 8), partitionOf(project, "", 8)]).toEqual([5, 3, 5]);
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(project, `anon-${i}`, 8)]++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
    expect(partitionOf(project, "anyone", 1)).toBe(0);
  });

  test("a partition count that is not a whole number ≥ 1 is refused", () => {
    expect(() => partitionOf("p", "k", 0)).toThrow("partition count must be a whole number ≥ 1, got 0");
    expect(() => partitionOf("p", "k", 1.5)).toThrow("got 1.5");
  });
});
