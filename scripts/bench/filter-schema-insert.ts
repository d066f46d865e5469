// What the filter schema costs ClickHouse per 100k events rows, before and after migration 0007: one private dev
// server, three databases migrated alike but for the filter schema — kept by the views of 0005 (before), written
// by the events worker after each insert under its token (after: 0007, the worker's tally inserted as it does),
// and not kept at all (the floor) — filled in turns, round after round, so that load from elsewhere on the machine
// hits all three alike. Rows: the realistic rows of clickhouse-dev-insert.ts, Native, in writes of --batch rows.
// Prints the server's CPU seconds per 100k rows, median (and min) of the rounds.
//   bun scripts/bench/filter-schema-insert.ts [--batch 20000] [--rounds 7]

import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { EVENT_COLUMNS, encodeEventRows } from "../../src/domain/ingest/event-native.ts";
import { splitStatements } from "../../src/domain/sql/statements.ts";
import { startDevServer } from "../../test/support/clickhouse-dev-process.ts";
import { asEventRows, filterSchemaOf, syntheticEventRows } from "./lib/synthetic-event-rows.ts";
import { percentile } from "./lib/percentile.ts";

const { values: args } = parseArgs({ options: { batch: { type: "string", default: "20000" }, rounds: { type: "string", default: "7" } } });
const batchRows = Number(args.batch);
const rounds = Number(args.rounds);
const TOTAL = 100_000;
const migrations = resolve(import.meta.dir, "../../migrations/clickhouse");

const configs = [
  { name: "before: views of 0005", upto: "0006", workerInserts: false },
  { name: "after: 0007, the worker's inserts", upto: "9999", workerInserts: true },
  { name: "no filter schema at all", upto: "9999", workerInserts: false },
];

const writes = Array.from({ length: Math.ceil(TOTAL / batchRows) }, (_, i) => {
  const objects = syntheticEventRows(i * batchRows, Math.min(batchRows, TOTAL - i * batchRows));
  return { events: encodeEventRows(asEventRows(objects)), filterSchema: filterSchemaOf(objects) };
});

const server = await startDevServer();
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${server.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const client = (database?: string) => createClient({ url: server.url, database, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 600_000 });
const admin = client();
const clients: ClickHouseClient[] = [];

async function insertNative(ch: ClickHouseClient, table: string, columns: readonly string[], bytes: Uint8Array, token: string): Promise<void> {
  const result = await ch.exec({
    query: `INSERT INTO ${table} (${columns.join(", ")}) FORMAT Native`,
    values: Readable.from([bytes]),
    clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1 },
  });
  for await (const _ of result.stream) void _;
}

try {
  for (const [i, config] of configs.entries()) {
    await admin.command({ query: `CREATE DATABASE bench_filter_schema_${i}` });
    const ch = client(`bench_filter_schema_${i}`);
    clients.push(ch);
    for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql") && f.slice(0, 4) <= config.upto).sort()) {
      for (const statement of splitStatements(readFileSync(resolve(migrations, file), "utf8"))) await ch.command({ query: statement });
    }
    // Background merges of events would bill one configuration's parts to the next one's time.
    await ch.command({ query: "SYSTEM STOP MERGES events" });
  }
  const seconds = configs.map(() => [] as number[]);
  let token = 0;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      const ch = clients[i]!;
      await ch.command({ query: "TRUNCATE TABLE events" });
      const before = cpuSeconds();
      for (const write of writes) {
        const writeToken = `bench:${token++}`;
        await insertNative(ch, "events", EVENT_COLUMNS, write.events, writeToken);
        if (!configs[i]!.workerInserts) continue;
        for (const table of write.filterSchema) await insertNative(ch, table.table, table.columns, table.bytes, writeToken);
      }
      seconds[i]!.push(cpuSeconds() - before);
    }
  }
  const rows = writes[0]!.filterSchema.map((table) => `${table.table} ${table.rows.toLocaleString("en-US")}`).join(", ");
  console.log(`${TOTAL.toLocaleString("en-US")} rows in writes of ${batchRows.toLocaleString("en-US")} (the worker's rows per write: ${rows}), ${rounds} rounds in turns`);
  console.log("server CPU s per 100k rows: median (min)");
  for (const [i, config] of configs.entries()) {
    console.log(`  ${config.name.padEnd(36)} ${percentile(seconds[i]!, 0.5).toFixed(2)} (${Math.min(...seconds[i]!).toFixed(2)})`);
  }
} finally {
  for (const ch of clients) await ch.close();
  await admin.close();
  await server.dispose();
}
