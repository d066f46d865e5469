import { describe, expect, test } from "bun:test";
import { applyCallTraits, mergeMissingTraits, sameTraits, type StampedTraits } from "./traits.ts";

const empty: StampedTraits = { traits: {}, traitTimes: {} };

describe("applyCallTraits", () => {
  test("sets new keys with the call's stamp and keeps the others", () => {
    const before: StampedTraits = { traits: { plan: "free", seats: 1 }, traitTimes: { plan: 100, seats: 100 } };
    expect(applyCallTraits(before, { plan: "pro", email: "a@b.c" }, 200)).toEqual({
      traits: { plan: "pro", seats: 1, email: "a@b.c" },
      traitTimes: { plan: 200, seats: 100, email: 200 },
    });
  });

  test("a call received before a key was set leaves that key alone", () => {
    const before: StampedTraits = { traits: { plan: "pro" }, traitTimes: { plan: 200 } };
    expect(applyCallTraits(before, { plan: "free", seats: 3 }, 100)).toEqual({ traits: { plan: "pro", seats: 3 }, traitTimes: { plan: 200, seats: 100 } });
  });

  test("a call received at the same time overwrites (a replay sets the same value)", () => {
    const before: StampedTraits = { traits: { plan: "pro" }, traitTimes: { plan: 200 } };
    expect(applyCallTraits(before, { plan: "team" }, 200).traits).toEqual({ plan: "team" });
  });

  test("$ip is never stored", () => {
    expect(applyCallTraits(empty, { $ip: "81.2.69.160", plan: "pro" }, 1).traits).toEqual({ plan: "pro" });
  });

  test("any order of the same calls ends in the same traits", () => {
    const calls: [Record<string, string | number>, number][] = [
      [{ plan: "free", seats: 1 }, 100],
      [{ plan: "pro" }, 300],
      [{ seats: 5, email: "x@y.z" }, 200],
      [{ email: "new@y.z" }, 400],
    ];
    const orders = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];
    const results = orders.map((order) => order.reduce((state, i) => applyCallTraits(state, calls[i]![0], calls[i]![1]), empty));
    for (const result of results) expect(result).toEqual({ traits: { plan: "pro", seats: 5, email: "new@y.z" }, traitTimes: { plan: 300, seats: 200, email: 400 } });
  });

  test("applying a call twice is the same as once", () => {
    const once = applyCallTraits(empty, { plan: "pro", tags: ["a", "b"] }, 50);
    expect(sameTraits(applyCallTraits(once, { plan: "pro", tags: ["a", "b"] }, 50), once)).toBe(true);
  });
});

describe("mergeMissingTraits", () => {
  test("takes only the keys the target lacks, with their stamps", () => {
    const person: StampedTraits = { traits: { plan: "pro", email: "u@x.io" }, traitTimes: { plan: 100, email: 100 } };
    const anonymous: StampedTraits = { traits: { plan: "free", utm: "spring", visits: 4 }, traitTimes: { plan: 500, utm: 50, visits: 60 } };
    expect(mergeMissingTraits(person, anonymous)).toEqual({
      traits: { plan: "pro", email: "u@x.io", utm: "spring", visits: 4 },
      traitTimes: { plan: 100, email: 100, utm: 50, visits: 60 },
    });
  });

  test("a null the target holds is still the target's", () => {
    expect(mergeMissingTraits({ traits: { plan: null }, traitTimes: { plan: 1 } }, { traits: { plan: "x" }, traitTimes: { plan: 2 } }).traits).toEqual({ plan: null });
  });
});

describe("sameTraits", () => {
  test("ignores key order, not values or stamps", () => {
    expect(sameTraits({ traits: { a: 1, b: { x: 1, y: 2 } }, traitTimes: { a: 1, b: 1 } }, { traits: { b: { y: 2, x: 1 }, a: 1 }, traitTimes: { b: 1, a: 1 } })).toBe(true);
    expect(sameTraits({ traits: { a: 1 }, traitTimes: { a: 1 } }, { traits: { a: 1 }, traitTimes: { a: 2 } })).toBe(false);
    expect(sameTraits({ traits: { a: 1 }, traitTimes: { a: 1 } }, { traits: { a: "1" }, traitTimes: { a: 1 } })).toBe(false);
  });
});
