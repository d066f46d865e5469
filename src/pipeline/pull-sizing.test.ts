import { expect, test } from "bun:test";
import { HeldBudget } from "./held-budget.ts";
import { PullSizing } from "./pull-sizing.ts";

const nothingHeld = { rows: 0, bytes: 0 };

test("a first pull is small; after that, pulls fill twice a write's worth at the average message size", () => {
  const sizing = new PullSizing({ maxRows: 1_000, maxBytes: 1_000_000 });
  expect(sizing.room(nothingHeld)).toBe(16);
  sizing.seen(10, 1_000);
  expect(sizing.room(nothingHeld)).toBe(200);
  expect(sizing.room({ rows: 1_500, bytes: 0 })).toBe(50);
  expect(sizing.room({ rows: 2_000, bytes: 0 })).toBe(0);
  sizing.seen(1, 100_000); // messages of 5.5 rows and 50.5 kB on average: bytes bound the pull now
  expect(sizing.room(nothingHeld)).toBe(40);
});

test("never more than 500 messages at once, never fewer than 1 while there is room", () => {
  const sizing = new PullSizing({ maxRows: 1_000_000, maxBytes: 1_000_000_000 });
  sizing.seen(1, 10);
  expect(sizing.room(nothingHeld)).toBe(500);
  const big = new PullSizing({ maxRows: 10, maxBytes: 1_000_000 });
  big.seen(100, 10);
  expect(big.room(nothingHeld)).toBe(1);
});

test("with a shared budget, a pull takes at most a quarter of it, is counted while on its way, and is given back once", () => {
  const budget = new HeldBudget(400, 1_000_000);
  const sizing = new PullSizing({ maxRows: 1_000, maxBytes: 1_000_000 }, budget);
  expect(sizing.reserve(16)).toBeFunction(); // nothing seen yet: nothing to count
  expect(budget.rows).toBe(0);
  sizing.seen(10, 100);
  expect(sizing.room(nothingHeld)).toBe(10);
  const giveBack = sizing.reserve(10);
  expect({ rows: budget.rows, bytes: budget.bytes }).toEqual({ rows: 100, bytes: 1_000 });
  giveBack();
  giveBack();
  expect({ rows: budget.rows, bytes: budget.bytes }).toEqual({ rows: 0, bytes: 0 });
  budget.add(400, 0);
  expect(sizing.room(nothingHeld)).toBe(0);
});
