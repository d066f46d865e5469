import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { newWorkingEvent } from "../ingest/new-row.ts";
import { EventSchema } from "../../gen/sdk/events/v1/events_pb.ts";
import { PROMOTED_COLUMNS, promotedColumnNamed } from "./promoted-columns.ts";
import { ValueType } from "./value-types.ts";

describe("promoted columns", () => {
  test("names are `$` plus camelCase, and names and columns are each used once", () => {
    for (const { name } of PROMOTED_COLUMNS) expect(name).toMatch(/^\$[a-z][a-zA-Z]*$/);
    expect(new Set(PROMOTED_COLUMNS.map((p) => p.name)).size).toBe(PROMOTED_COLUMNS.length);
    expect(new Set(PROMOTED_COLUMNS.map((p) => p.column)).size).toBe(PROMOTED_COLUMNS.length);
  });

  test("INTEGER exactly for the numeric columns of an events row, STRING for the text ones", () => {
    const event = create(EventSchema, { eventId: "0190b6f0-0000-7000-8000-000000000001", kind: "k", distinctId: "d", occurTime: timestampFromMs(0) });
    const { row } = newWorkingEvent(event, { projectId: "p", userAgent: "", receivedAtMs: 0, geo: { country: "", region: "", city: "" }, visitorHash: "" });
    for (const { column, type } of PROMOTED_COLUMNS) {
      expect([column, typeof row[column]]).toEqual([column, type === ValueType.INTEGER ? "number" : "string"]);
    }
  });

  test("the dashboard's names map to their columns; other names are ordinary auto properties", () => {
    expect(promotedColumnNamed("$device")?.column).toBe("device_type");
    expect(promotedColumnNamed("$referrerDomain")?.column).toBe("referrer_domain");
    expect(promotedColumnNamed("$screenWidth")).toEqual({ name: "$screenWidth", column: "screen_width", type: ValueType.INTEGER });
    expect(promotedColumnNamed("$projectId")).toBeUndefined();
  });
});
