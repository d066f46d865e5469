import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, test } from "bun:test";
import { TimeRangeSchema } from "../../gen/common/v1/time_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { usagePeriod } from "./usage-period.ts";

const range = (from: string, to: string) => create(TimeRangeSchema, { from: timestampFromMs(Date.parse(from)), to: timestampFromMs(Date.parse(to)) });
const NOW = Date.parse("2026-12-15T18:00:00Z");

describe("usage period", () => {
  test("default: the current calendar month in UTC", () => {
    expect(usagePeriod(undefined, NOW)).toEqual({ fromMs: Date.parse("2026-12-01T00:00:00Z"), toMs: Date.parse("2027-01-01T00:00:00Z"), firstDay: "2026-12-01", endDay: "2027-01-01" });
  });

  test("a range covers every UTC day it overlaps", () => {
    expect(usagePeriod(range("2026-03-10T12:00:00Z", "2026-03-12T00:00:00Z"), NOW)).toMatchObject({ firstDay: "2026-03-10", endDay: "2026-03-12" });
    expect(usagePeriod(range("2026-03-10T00:00:00Z", "2026-03-12T00:00:01Z"), NOW)).toMatchObject({ firstDay: "2026-03-10", endDay: "2026-03-13" });
  });

  test("from before to, at most 400 days", () => {
    expect(refusalOf(() => usagePeriod(range("2026-03-12T00:00:00Z", "2026-03-10T00:00:00Z"), NOW))).toBe("range: from must be before to");
    expect(refusalOf(() => usagePeriod(range("2025-01-01T00:00:00Z", "2026-02-05T00:00:01Z"), NOW))).toBe("range: at most 400 days");
    expect(usagePeriod(range("2025-01-01T00:00:00Z", "2026-02-05T00:00:00Z"), NOW).endDay).toBe("2026-02-05");
    expect(refusalOf(() => usagePeriod(create(TimeRangeSchema, { from: timestampFromMs(0) }), NOW))).toBe("range.to: required");
  });
});
