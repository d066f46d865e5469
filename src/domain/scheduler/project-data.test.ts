import { describe, expect, test } from "bun:test";
import { retentionCutoff } from "./project-data.ts";

describe("retentionCutoff", () => {
  test("is exactly the period before now, in ClickHouse's DateTime64 text", () => {
    expect(retentionCutoff(new Date("2026-03-31T12:00:00.250Z"), 30)).toBe("2026-03-01 12:00:00.250");
    expect(retentionCutoff(new Date("2026-01-01T00:00:00.000Z"), 1)).toBe("2025-12-31 00:00:00.000");
  });

  test("refuses a period that would delete everything or nothing, or one longer than a century", () => {
    expect(() => retentionCutoff(new Date(), 0)).toThrow("whole number of days from 1 to 36500");
    expect(() => retentionCutoff(new Date(), 1.5)).toThrow("whole number of days from 1 to 36500");
    expect(() => retentionCutoff(new Date(), 2_000_000_000)).toThrow("whole number of days from 1 to 36500, got 2000000000");
  });
});
