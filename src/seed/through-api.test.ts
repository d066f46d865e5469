import { expect, test } from "bun:test";
import { batchesByDevice, typedValue } from "./through-api.ts";

test("custom properties go back on the wire with the type the row records", () => {
  expect([typedValue("2", 2), typedValue("57.43", 3), typedValue("true", 4), typedValue("pro", undefined)]).toEqual([
    { value: { case: "intValue", value: 2n } },
    { value: { case: "doubleValue", value: 57.43 } },
    { value: { case: "boolValue", value: true } },
    { value: { case: "stringValue", value: "pro" } },
  ]);
});

test("one request per user agent, rows kept in order", () => {
  const rows = [{ user_agent: "a", n: 1 }, { user_agent: "b", n: 2 }, { user_agent: "a", n: 3 }];
  expect(batchesByDevice(rows).map((batch) => batch.map((row) => row.n))).toEqual([[1, 3], [2]]);
});
