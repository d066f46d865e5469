import { expect, test } from "bun:test";
import { groupStartsNow, MAX_IN_FLIGHT, MAX_WAIT_MS, MIN_GROUP_GAP_MS, nextLookAt, type StreamPace } from "./group-pacing.ts";

const FULL = 1000;
const pace = (overrides: Partial<StreamPace> = {}): StreamPace => ({ inFlight: 0, waitingBytes: 10, launchedAt: -Infinity, ...overrides });

const INSIDE_GAP = 100 - MIN_GROUP_GAP_MS / 2;

test("a request after a quiet spell goes at once; a stream that just started a group waits out the gap", () => {
  expect(groupStartsNow(pace(), 100, false, FULL)).toBe(true);
  expect(groupStartsNow(pace({ launchedAt: 100 - MIN_GROUP_GAP_MS }), 100, false, FULL)).toBe(true);
  expect(groupStartsNow(pace({ launchedAt: INSIDE_GAP }), 100, false, FULL)).toBe(false);
  // Neither a completion nor the end of the short wait starts a group inside the gap…
  expect(groupStartsNow(pace({ launchedAt: INSIDE_GAP, inFlight: 1 }), 100, true, FULL)).toBe(false);
  // …but a full group does not wait for it.
  expect(groupStartsNow(pace({ launchedAt: INSIDE_GAP, inFlight: 1, waitingBytes: FULL }), 100, false, FULL)).toBe(true);
});

test("with publishes in flight, a group waits for a completion or the short wait; with every slot held, even a full one waits", () => {
  expect(groupStartsNow(pace({ inFlight: 1 }), 100, false, FULL)).toBe(false);
  expect(groupStartsNow(pace({ inFlight: 1 }), 100, true, FULL)).toBe(true);
  expect(groupStartsNow(pace({ inFlight: MAX_IN_FLIGHT, waitingBytes: FULL }), 100, true, FULL)).toBe(false);
});

test("while requests wait, the next look is never later than the gap or the short wait (a slot free), or the oldest's timeout (none free)", () => {
  for (const launchedAt of [-Infinity, 0, 98, 99.5, 100]) {
    const at = nextLookAt(pace({ launchedAt, inFlight: 1 }), 100, 90, 3000);
    expect(at).toBeGreaterThanOrEqual(100 + MAX_WAIT_MS);
    expect(at).toBeLessThanOrEqual(100 + Math.max(MAX_WAIT_MS, MIN_GROUP_GAP_MS));
    // Looking then, a group starts (the short wait makes it due).
    expect(groupStartsNow(pace({ launchedAt, inFlight: 1 }), at, true, FULL)).toBe(true);
  }
  expect(nextLookAt(pace({ inFlight: MAX_IN_FLIGHT }), 100, 90, 3000)).toBe(3090);
});
