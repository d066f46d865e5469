import { describe, expect, test } from "bun:test";
import { fairShare, leasePlan } from "./partition-share.ts";

describe("partition share", () => {
  test("each live instance holds at most ceil(partitions / live)", () => {
    expect([1, 2, 3, 4, 5, 9].map((live) => fairShare(4, live))).toEqual([4, 2, 2, 1, 1, 1]);
    expect(fairShare(4, 0)).toBe(4);
  });

  test("alone, an instance takes every partition, trying from its own offset", () => {
    expect(leasePlan({ partitions: 4, live: 1, held: [] }, 2)).toEqual({ release: [], take: 4, candidates: [2, 3, 0, 1] });
  });

  test("when a second instance joins, the first hands back its highest partitions down to its share", () => {
    expect(leasePlan({ partitions: 4, live: 2, held: [0, 1, 2, 3] })).toEqual({ release: [3, 2], take: 0, candidates: [] });
  });

  test("when an instance dies, the survivor's share grows and it takes what is not held", () => {
    expect(leasePlan({ partitions: 4, live: 1, held: [3, 1] }, 1)).toEqual({ release: [], take: 2, candidates: [2, 0] });
    expect(leasePlan({ partitions: 5, live: 2, held: [0, 1, 2] })).toEqual({ release: [], take: 0, candidates: [3, 4] });
  });
});
