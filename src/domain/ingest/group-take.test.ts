import { describe, expect, test } from "bun:test";
import { takeGroup } from "./group-take.ts";
import { GROUP_FRAMING_BYTES } from "./ingest-frames.ts";

const sized = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));

describe("takeGroup", () => {
  test("takes the oldest requests while they fit, framing included", () => {
    const limit = 300 + 3 * GROUP_FRAMING_BYTES;
    expect(takeGroup(sized(100, 100, 100, 100), limit)).toBe(3);
    expect(takeGroup(sized(100, 100, 100, 100), limit - 1)).toBe(2);
    expect(takeGroup(sized(100, 100), 10_000)).toBe(2);
  });

  test("always takes at least one, and none of an empty queue", () => {
    expect(takeGroup(sized(500, 1), 100)).toBe(1);
    expect(takeGroup([], 100)).toBe(0);
  });
});
