import { expect, test } from "bun:test";
import { defaultEndMs, knownVisitorCount, seedPlan, signedInAtMs } from "./seed-plan.ts";

const plan = seedPlan({ projectId: "p", events: 20_000, days: 30, seed: 7, endMs: Date.UTC(2026, 0, 31) });

test("25 events per visitor, one in four signs in", () => {
  expect([plan.visitors, knownVisitorCount(plan), plan.windowSeconds]).toEqual([800, 200, 2_592_000]);
  expect(knownVisitorCount(seedPlan({ ...plan, events: 26 }))).toBe(1);
});

test("a visitor signs in inside the window, at a time fixed by the seed", () => {
  // (4 × 48,271 + 7) mod 2,592,000 = 193,091 s after the window's start.
  expect(signedInAtMs(plan, 4)).toBe(Date.UTC(2026, 0, 1) + 193_091_000);
});

test("the default end is the start of the current hour", () => {
  expect(defaultEndMs(Date.UTC(2026, 4, 1, 13, 59, 59, 999))).toBe(Date.UTC(2026, 4, 1, 13));
});
