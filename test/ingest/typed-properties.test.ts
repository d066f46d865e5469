// Every property keeps the type it had on the wire, through the real intake and events worker, in binary and in
// JSON: the text maps hold every value, custom_numbers the numeric ones, and the *_types maps the contract's
// ValueType of every value that is not a string (absent = string), so 3 and 3.0, false and "false" differ.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { EventsService } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { CHROME_UA, sdkEvent, str } from "../support/sdk-events.ts";

let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("typed_properties", { worker: true });
});
afterAll(() => stack.stop());

const int = (value: bigint) => ({ value: { case: "intValue" as const, value } });
const double = (value: number) => ({ value: { case: "doubleValue" as const, value } });
const bool = (value: boolean) => ({ value: { case: "boolValue" as const, value } });
const time = (iso: string) => ({ value: { case: "timestampValue" as const, value: timestampFromMs(Date.parse(iso)) } });

const customProperties = {
  plan: str("pro"),
  quoted_three: str("3"),
  quoted_false: str("false"),
  seats: int(3n),
  ratio: double(3),
  share: double(0.1 + 0.2),
  max_int: int((1n << 63n) - 1n),
  min_int: int(-(1n << 63n)),
  zero: int(0n),
  paid: bool(false),
  trial: bool(true),
  renews_at: time("2027-02-03T04:05:06.789Z"),
};
const autoProperties = { $visits: int(7n), $darkMode: bool(true), $firstSeen: time("1999-12-31T23:59:59.000Z"), $ratio: double(1.5) };

type Row = Record<string, Record<string, unknown>>;
const sorted = (map: Record<string, unknown>) => Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1)));

async function storedRow(eventId: string): Promise<Row> {
  await waitFor("the event in ClickHouse", async () => (await stack.stored(`event_id = '${eventId}'`)).rows === 1);
  const result = await stack.ch.query({
    query: "SELECT auto_properties, auto_types, custom_properties, custom_numbers, custom_types FROM events WHERE event_id = {id:UUID}",
    query_params: { id: eventId },
    format: "JSONEachRow",
  });
  const [row] = await result.json<Row>();
  return row!;
}

describe("typed properties", () => {
  test.each([
    ["binary", true],
    ["JSON", false],
  ])("every wire type survives with its type (%s)", async (_label, binary) => {
    const transport = createConnectTransport({
      baseUrl: stack.baseUrl,
      useBinaryFormat: binary as boolean,
      interceptors: [(next) => (req) => {
        req.header.set("x-api-key", stack.publicKey);
        req.header.set("user-agent", CHROME_UA);
        return next(req);
      }],
    });
    const event = sdkEvent(stack.projectId, { kind: "purchase", customProperties, autoProperties: { ...sdkEvent(stack.projectId).autoProperties, ...autoProperties } });
    const reply = await createClient(EventsService, transport).batchCreate({ events: [event] });
    expect([reply.accepted, reply.dropped]).toEqual([1, 0]);

    const row = await storedRow(event.eventId);
    expect(sorted(row.custom_properties!)).toEqual({
      max_int: "9223372036854775807",
      min_int: "-9223372036854775808",
      paid: "false",
      plan: "pro",
      quoted_false: "false",
      quoted_three: "3",
      ratio: "3",
      renews_at: "2027-02-03T04:05:06.789Z",
      seats: "3",
      share: "0.30000000000000004",
      trial: "true",
      zero: "0",
    });
    // 3 and 3.0 print alike and are told apart by type; strings are absent (= STRING).
    expect(sorted(row.custom_types!)).toEqual({ max_int: 2, min_int: 2, paid: 4, ratio: 3, renews_at: 5, seats: 2, share: 3, trial: 4, zero: 2 });
    expect(sorted(row.custom_numbers!)).toEqual({ max_int: 9223372036854775807, min_int: -9223372036854775808, ratio: 3, seats: 3, share: 0.30000000000000004, zero: 0 });
    // The promoted ones ($url, $screenWidth, …) are in their columns only.
    expect(sorted(row.auto_properties!)).toEqual({ $darkMode: "true", $firstSeen: "1999-12-31T23:59:59.000Z", $projectId: stack.projectId, $ratio: "1.5", $visits: "7" });
    expect(sorted(row.auto_types!)).toEqual({ $darkMode: 4, $firstSeen: 5, $ratio: 3, $visits: 2 });
  });

  test("filters can compare by type: numbers as numbers, booleans as booleans, integers apart from doubles", async () => {
    const result = await stack.ch.query({
      query: `SELECT
          countIf(custom_types['seats'] = 2 AND toInt64(custom_properties['seats']) = 3) AS int_three,
          countIf(custom_types['ratio'] = 3 AND custom_numbers['ratio'] = 3) AS double_three,
          countIf(custom_types['paid'] = 4 AND custom_properties['paid'] = 'false') AS bool_false,
          countIf(custom_types['quoted_false'] = 4) AS string_as_bool,
          countIf(custom_types['renews_at'] = 5 AND parseDateTime64BestEffort(custom_properties['renews_at'], 3) = toDateTime64('2027-02-03 04:05:06.789', 3, 'UTC')) AS datetime
        FROM events WHERE kind = 'purchase'`,
      format: "JSONEachRow",
    });
    expect((await result.json())[0]).toEqual({ int_three: "2", double_three: "2", bool_false: "2", string_as_bool: "0", datetime: "2" });
  });
});
