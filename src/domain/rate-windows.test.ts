import { describe, expect, test } from "bun:test";
import { type RateFlush, RateWindows } from "./rate-windows.ts";

const S = 1_000;
const takes = (windows: RateWindows, bucket: string, second: number, limit: number, costs: number[]) => costs.map((cost) => windows.take(bucket, second, limit, cost));
const pending = (flushes: RateFlush[]) => flushes.flatMap((f) => f.windows.map((w, i) => [w.bucket, w.second, f.costs[i]]));

describe("RateWindows", () => {
  test("within one process the first refusal is the first take over the limit, and a refused cost is not counted", () => {
    const windows = new RateWindows(10);
    expect(takes(windows, "a", S, 3, [1, 1, 1, 1])).toEqual(["allowed", "allowed", "allowed", "refused"]);
    expect(takes(windows, "b", S, 10, [4, 4, 4, 2, 1])).toEqual(["allowed", "allowed", "refused", "allowed", "refused"]);
    expect(windows.take("c", S, 2, 3)).toBe("refused");
  });

  test("a new second is a new window; the last one's cost is still drained", () => {
    const windows = new RateWindows(10);
    expect(takes(windows, "a", S, 2, [1, 1, 1])).toEqual(["allowed", "allowed", "refused"]);
    expect(takes(windows, "a", S + 1, 2, [1, 1])).toEqual(["allowed", "allowed"]);
    expect(pending(windows.drain(100))).toEqual([["a", S, 2], ["a", S + 1, 2]]);
  });

  test("drain sends each window's pending cost once, in flushes of at most the given size, counting the takes", () => {
    const windows = new RateWindows(10);
    takes(windows, "a", S, 10, [1, 2]);
    takes(windows, "b", S, 10, [5]);
    takes(windows, "c", S, 10, [1]);
    const flushes = windows.drain(2);
    expect(flushes.map((f) => f.windows.length)).toEqual([2, 1]);
    expect(pending(flushes)).toEqual([["a", S, 3], ["b", S, 5], ["c", S, 1]]);
    expect(flushes.map((f) => f.takes)).toEqual([3, 1]);
    expect(windows.drain(2)).toEqual([]);
  });

  test("costs in flight still count, and the store's answer adds what other processes took", () => {
    const windows = new RateWindows(10);
    takes(windows, "a", S, 10, [3]);
    const [flush] = windows.drain(100);
    expect(takes(windows, "a", S, 10, [7, 1])).toEqual(["allowed", "refused"]);
    windows.drain(100);
    // Redis answers 3 + what another process had added before (2): this process now sees 5 + its 7 in flight.
    windows.settle(flush!, [5]);
    expect(windows.take("a", S, 12, 1)).toBe("refused");
    expect(windows.take("a", S, 13, 1)).toBe("allowed");
  });

  test("an older answer never lowers what is known", () => {
    const windows = new RateWindows(10);
    windows.take("a", S, 10, 1);
    const first = windows.drain(100)[0]!;
    windows.take("a", S, 10, 1);
    const second = windows.drain(100)[0]!;
    windows.settle(second, [9]);
    windows.settle(first, [8]);
    expect(windows.take("a", S, 10, 2)).toBe("refused");
    expect(windows.take("a", S, 10, 1)).toBe("allowed");
  });

  test("a failed flush puts the current window's cost back to be sent again and drops a past window's", () => {
    const windows = new RateWindows(10);
    takes(windows, "old", S, 10, [2]);
    takes(windows, "now", S + 1, 10, [3]);
    const [flush] = windows.drain(100);
    windows.fail(flush!, S + 1);
    const [retry] = windows.drain(100);
    expect(pending([retry!])).toEqual([["now", S + 1, 3]]);
    // The requests were counted once, when their cost was first sent.
    expect(retry!.takes).toBe(0);
    // Still counted locally while Redis is away.
    expect(takes(windows, "now", S + 1, 5, [2, 1])).toEqual(["allowed", "refused"]);
  });

  test("sweep forgets past windows and their unsent costs; an idle instance holds nothing", () => {
    const windows = new RateWindows(10);
    takes(windows, "a", S, 10, [1]);
    takes(windows, "b", S + 1, 10, [1]);
    windows.drain(100);
    takes(windows, "a", S, 10, [1]);
    windows.sweep(S + 1);
    expect(windows.size).toBe(1);
    expect(pending(windows.drain(100))).toEqual([]);
    expect(windows.idle).toBe(false);
    windows.sweep(S + 2);
    expect(windows.idle).toBe(true);
  });

  test("beyond its capacity a bucket is untracked, until a sweep makes room", () => {
    const windows = new RateWindows(2);
    windows.take("a", S, 10, 1);
    windows.take("b", S, 10, 1);
    expect(windows.take("c", S, 10, 1)).toBe("untracked");
    // Known buckets still move on to their next second without growing the map.
    expect(windows.take("a", S + 1, 10, 1)).toBe("allowed");
    expect(windows.take("c", S + 1, 10, 1)).toBe("allowed");
    expect(windows.size).toBe(2);
  });
});
