// CPU per event of the events worker's filter schema tally (src/domain/ingest/filter-schema-rows.ts): SDK events
// (test/support/sdk-events.ts: about a thousand pages and three UTM sources, or with --same-page all on the SDK
// helper's one page; custom properties of a handful of shapes) enriched as the worker enriches them, tallied per
// message of 50 rows and combined per write of 20,000 as the writer does. Prints the median µs per event over
// several rounds, and what a message holds meanwhile.
//   bun scripts/bench/filter-schema-tally.ts [--rounds 7] [--write 20000] [--same-page]

import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { deriveClientFacts } from "../../src/domain/ingest/client-facts.ts";
import type { EventRow } from "../../src/domain/ingest/event-row.ts";
import { FilterSchemaTally, filterSchemaPart, filterSchemaPartBytes } from "../../src/domain/ingest/filter-schema-rows.ts";
import { enrichBatch } from "../../src/domain/ingest/pipeline.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { userAgentParser } from "../../src/workers/events/user-agent.ts";
import { CHROME_UA, sdkEvent, str } from "../../test/support/sdk-events.ts";
import { percentile } from "./lib/percentile.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" }, write: { type: "string", default: "20000" }, "same-page": { type: "boolean", default: false } } });
const rounds = Number(values.rounds);
const writeRows = Number(values.write);
const MESSAGE_ROWS = 50;

const projects = ["0190b6f0-0000-7000-8000-00000000abcd", "0190b6f0-0000-7000-8000-00000000abce"];
const sources = ["", "?utm_source=newsletter&utm_medium=email&utm_campaign=spring", "?utm_source=google&utm_medium=cpc&utm_campaign=brand"];
const lookups = { geo: () => ({ country: "GB", region: "England", city: "London" }), cookielessHash: (input: string) => input };

function messageRows(first: number): EventRow[] {
  const projectId = projects[first % 2]!;
  const events = Array.from({ length: MESSAGE_ROWS }, (_, j) => {
    const i = first + j;
    const kind = ["page_view", "page_view", "page_view", "click", "signup"][i % 5]!;
    const custom: NonNullable<Parameters<typeof sdkEvent>[1]>["customProperties"] = kind === "click" ? { button: str(`cta-${i % 7}`), section: str("hero") }
      : kind === "signup" ? { plan: str(["free", "pro", "team"][i % 3]!), seats: { value: { case: "intValue" as const, value: BigInt(i % 20) } } } : {};
    return sdkEvent(projectId, { kind, url: values["same-page"] ? undefined : `https://shop.example.com/docs/guide-${i % 997}${sources[i % 3]}`, customProperties: custom });
  });
  const client = deriveClientFacts(projectId, "81.2.69.160", CHROME_UA, false, lookups);
  const batch = create(IngestBatchSchema, { projectId, receivedAt: timestampFromMs(Date.now()), userAgent: CHROME_UA, client, events });
  return enrichBatch(batch, { userAgent: userAgentParser() }).rows;
}

const messages = Array.from({ length: Math.ceil(writeRows / MESSAGE_ROWS) }, (_, m) => messageRows(m * MESSAGE_ROWS));
const events = messages.length * MESSAGE_ROWS;

/** As the worker does: each message tallied when converted, the messages' rows combined when written. */
function tallyWrite(): number {
  const perMessage = messages.map((rows) => filterSchemaPart(rows));
  const combined = new FilterSchemaTally();
  for (const part of perMessage) combined.addPart(part);
  const rows = combined.rows();
  return rows.eventNames.length + rows.propertyKeys.length + rows.propertyValues.length;
}

/** µs per event of `run` (over every message), median of the rounds. */
function timed(run: () => unknown): number {
  run();
  const perEvent: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = Bun.nanoseconds();
    run();
    perEvent.push((Bun.nanoseconds() - start) / 1000 / events);
  }
  return percentile(perEvent, 0.5);
}

const perMessage = messages.map((rows) => filterSchemaPart(rows));
const held = perMessage.reduce((n, part) => n + part.groups.length / 2 + part.keys.length / 6 + part.values.length / 6, 0);
const heldBytes = perMessage.reduce((n, part) => n + filterSchemaPartBytes(part), 0);
console.log(`bun ${Bun.version}; ${events.toLocaleString("en-US")} events in messages of ${MESSAGE_ROWS}, ${rounds} rounds; median µs per event`);
console.log(`  tally of each message (at conversion):   ${timed(() => messages.map((rows) => filterSchemaPart(rows))).toFixed(2)}`);
console.log(`  messages' rows combined (at the write):   ${timed(() => perMessage.reduce((tally, part) => tally.addPart(part), new FilterSchemaTally()).rows()).toFixed(2)}`);
console.log(`  both, as the worker does:                 ${timed(tallyWrite).toFixed(2)}`);
console.log(`rows held per message: ${(held / messages.length).toFixed(0)} (${(heldBytes / messages.length / 1024).toFixed(1)} KiB); rows inserted per write: ${tallyWrite().toLocaleString("en-US")}`);
