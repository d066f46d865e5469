import { describe, expect, test } from "bun:test";
import { scheduledSlot } from "./slot.ts";

describe("scheduledSlot", () => {
  const at = (iso: string) => new Date(iso);

  test("is the time the pattern was due, whichever scheduler fires and however late", () => {
    const every10 = "0 */10 * * * *";
    expect(scheduledSlot(every10, at("2026-01-01T10:20:00.000Z"))).toEqual(at("2026-01-01T10:20:00.000Z"));
    expect(scheduledSlot(every10, at("2026-01-01T10:20:00.004Z"))).toEqual(at("2026-01-01T10:20:00.000Z"));
    expect(scheduledSlot(every10, at("2026-01-01T10:29:59.000Z"))).toEqual(at("2026-01-01T10:20:00.000Z"));
  });

  test("a timer firing a little early still names the slot it was set for", () => {
    expect(scheduledSlot("0 */10 * * * *", at("2026-01-01T10:19:59.400Z"))).toEqual(at("2026-01-01T10:20:00.000Z"));
  });

  test("daily and hourly patterns, in UTC", () => {
    expect(scheduledSlot("0 30 23 * * *", at("2026-03-05T23:30:00.120Z"))).toEqual(at("2026-03-05T23:30:00.000Z"));
    expect(scheduledSlot("0 30 23 * * *", at("2026-03-06T08:00:00.000Z"))).toEqual(at("2026-03-05T23:30:00.000Z"));
    expect(scheduledSlot("0 5 * * * *", at("2026-03-06T08:05:00.010Z"))).toEqual(at("2026-03-06T08:05:00.000Z"));
  });
});
