import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { SegmentUsersRequestSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { encodePersonPosition } from "../activity/page-token.ts";
import { segmentUsersQuery } from "./segment-users.ts";

const PROJECT = "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f";
const range = { from: timestampFromMs(1_000_000), to: timestampFromMs(2_000_000) };
type Init = Parameters<typeof create<typeof SegmentUsersRequestSchema>>[1];
const query = (init: Init) => segmentUsersQuery(PROJECT, create(SegmentUsersRequestSchema, init));

describe("segmentUsersQuery", () => {
  test("persons (aliases joined) in the range, no cookieless, no bots, by id, one more than the page", () => {
    const { query: q, pageSize } = query({ timeRange: range });
    expect(pageSize).toBe(100);
    expect(q.sql).toContain("LEFT JOIN (");
    expect(q.sql).toContain("NOT e.cookieless");
    expect(q.sql).toContain("NOT e.is_bot");
    expect(q.sql).toMatch(/GROUP BY person\nORDER BY person\nLIMIT \{p\d+:UInt32\}$/);
    expect(Object.values(q.params)).toEqual([PROJECT, 1_000_000, 2_000_000, 101]);
  });

  test("any of the events; the page resumes after the token's person, as a parameter", () => {
    const { query: q } = query({ timeRange: range, pageSize: 5, pageToken: encodePersonPosition("bob'"), events: [{ event: { kind: "a" } }, { event: { kind: "b" } }] });
    expect(q.sql).toMatch(/\(\(e\.kind = \{p\d+:String\}\) OR \(e\.kind = \{p\d+:String\}\)\)/);
    expect(q.sql).toMatch(/ > \{p\d+:String\}/);
    expect(q.sql).not.toContain("bob");
    expect(Object.values(q.params)).toEqual(expect.arrayContaining(["a", "b", "bob'", 6]));
  });

  test("an event with no filter stands for any event", () => {
    expect(query({ timeRange: range, events: [{ event: { kind: "a" } }, {}] }).query.sql).not.toContain("e.kind =");
  });

  test.each([
    [{}, "time_range: required"],
    [{ timeRange: range, pageSize: 1001 }, "page_size:"],
    [{ timeRange: range, pageToken: "nope" }, "page_token:"],
    [{ timeRange: range, events: [{ event: { kind: "k".repeat(201) } }] }, "events[0].event.kind:"],
    [{ timeRange: range, filterGroups: [{ filters: [{ property: "" }] }] }, "filter_groups[0].filters[0].property:"],
  ] as [Init, string][])("refuses bad input: %#", (init, message) => {
    expect(() => query(init)).toThrow(message);
  });
});
