// The guarantee that moving the filter schema out of ClickHouse changed nothing: the same events rows, of many
// shapes (promoted columns empty or set, values at and past 256 bytes in one to four bytes a character, lone
// surrogates, every value type, promoted names in auto_properties and custom_properties, keys named like Object's
// members, several projects and kinds), give equal event_names, property_keys and property_values (summed by key)
// whether counted by
//   - the materialized views of migration 0005, as they ran inside each insert (ClickHouse, until 0007),
//   - the backfill statements (src/domain/sql/filter-schema-backfill.ts), per project after the inserts,
//   - the events worker's tally (src/domain/ingest/filter-schema-rows.ts), per message, combined per write and
//     inserted as the worker inserts it (filter-schema-native.ts, under the write's deduplication token: each write
//     is sent twice, as after a crash, and the repeat must be dropped).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { encodeEventRows, EVENT_COLUMNS } from "../../src/domain/ingest/event-native.ts";
import type { EventRow } from "../../src/domain/ingest/event-row.ts";
import { encodeFilterSchemaRows } from "../../src/domain/ingest/filter-schema-native.ts";
import { FilterSchemaTally, filterSchemaPart } from "../../src/domain/ingest/filter-schema-rows.ts";
import { PROMOTED_COLUMNS } from "../../src/domain/properties/promoted-columns.ts";
import { mergeNativeBlocks } from "../../src/domain/sql/native-block-merge.ts";
import { splitStatements } from "../../src/domain/sql/statements.ts";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { embeddedMigrations } from "../../src/migrate/embedded.ts";
import { sendRows } from "../../src/pipeline/clickhouse-insert.ts";
import { backfillFilterSchema } from "../../src/seed/backfill-filter-schema.ts";
import { eventsWhere } from "../../src/domain/sql/filter-schema-backfill.ts";
import { pick, type Random, seededRandom } from "../support/fuzz.ts";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();
const admin = createClickHouse({ url: env.clickhouseUrl, database: "default" });
const databases = { views: `${env.clickhouseDatabase}_fs_views`, backfill: `${env.clickhouseDatabase}_fs_backfill`, tally: `${env.clickhouseDatabase}_fs_tally` };
const clients = {} as Record<keyof typeof databases, ClickHouseClient>;

const migrations = Object.keys(embeddedMigrations.clickhouse).sort() as (keyof typeof embeddedMigrations.clickhouse)[];

beforeAll(async () => {
  for (const [name, database] of Object.entries(databases) as [keyof typeof databases, string][]) {
    // A run killed before its afterAll may have left it.
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
    await admin.command({ query: `CREATE DATABASE \`${database}\`` });
    const ch = createClickHouse({ url: env.clickhouseUrl, database });
    clients[name] = ch;
    // The views' database stops before 0007, which drops them.
    for (const file of migrations.filter((file) => name !== "views" || file < "0007")) {
      for (const statement of splitStatements(embeddedMigrations.clickhouse[file])) await ch.command({ query: statement });
    }
  }
});

afterAll(async () => {
  for (const ch of Object.values(clients)) await ch.close();
  for (const database of Object.values(databases)) await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
  await admin.close();
});

const PROJECTS = ["0b5d6c1e-8f0a-4c55-9a11-2f7d3e4b5a61", "7f3e2d1c-0b9a-4877-8665-544332211000", "c0ffee00-1234-4abc-8def-0123456789ab"];
const KINDS = ["page_view", "page_view", "click", "signup", "", "achat effectué", "k".repeat(300)];
const NOW = Date.parse("2026-12-01T10:00:00Z");

/** Texts at and around every edge the rules name. */
const TEXTS = [
  "", "a", "pro", "https://shop.example.com/pricing?utm_source=news", "/pricing", "Paris", "line\nbreak", "tab\tand \"quotes\" and \\",
  "nul\u0000inside", "x".repeat(255), "x".repeat(256), "x".repeat(257), "é".repeat(128), "é".repeat(129), "€".repeat(85) + "a",
  "€".repeat(86), "😀".repeat(64), "😀".repeat(64) + "a", "\ud800", "\ud800".repeat(86), "a\udc00b", "x".repeat(2000),
];
const KEYS = ["plan", "seats", "theme", "$darkMode", "$url", "$screenWidth", "$city", "$custom", "constructor", "toString", "__proto__", "", "é-key", "k".repeat(300), "a\nb"];
const TYPES = [undefined, undefined, undefined, 0, 2, 3, 4, 5, 5, 6];

function text(random: Random): string {
  return random() < 0.3 ? "" : random() < 0.5 ? pick(random, TEXTS) : `v${Math.floor(random() * 12)}`;
}

/** A map with own keys only (even `__proto__`), as the worker's decoded maps are. */
function properties(random: Random, values: () => string): { values: Record<string, string>; types: Record<string, number> } {
  const map: Record<string, string> = {};
  const types: Record<string, number> = {};
  const own = (target: Record<string, unknown>, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  for (let n = Math.floor(random() * 6); n > 0; n--) {
    const key = pick(random, KEYS);
    own(map, key, values());
    const type = pick(random, TYPES);
    if (type !== undefined) own(types, key, type);
  }
  // A type for a key the properties do not hold is ignored.
  if (random() < 0.1) types.orphan = 2;
  return { values: map, types };
}

function eventRow(random: Random): EventRow {
  const promoted = Object.fromEntries(PROMOTED_COLUMNS.map((p) => [p.column, p.type === 2 ? (random() < 0.5 ? 0 : pick(random, [1, 390, 1920, 65535])) : text(random)]));
  const auto = properties(random, () => text(random));
  const custom = properties(random, () => text(random));
  return {
    project_id: pick(random, PROJECTS), event_id: crypto.randomUUID(), kind: pick(random, KINDS),
    occurred_at: NOW - Math.floor(random() * 5 * 86_400_000), received_at: NOW - Math.floor(random() * 86_400_000),
    distinct_id: `user-${Math.floor(random() * 50)}`, session_id: "", cookieless: false, is_bot: false,
    ...(promoted as unknown as Pick<EventRow, "url">),
    auto_properties: auto.values, auto_types: auto.types, custom_properties: custom.values, custom_numbers: {}, custom_types: custom.types,
  } as EventRow;
}

async function insertNative(ch: ClickHouseClient, table: string, columns: readonly string[], bytes: Uint8Array): Promise<void> {
  const result = await ch.exec({ query: `INSERT INTO ${table} (${columns.join(", ")}) FORMAT Native`, values: Readable.from([bytes]) });
  for await (const _ of result.stream) void _;
}

async function contents(ch: ClickHouseClient) {
  const query = async (sql: string) => (await ch.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>();
  return {
    eventNames: await query("SELECT project_id, kind, sum(count) AS count, max(last_seen) AS last_seen FROM event_names GROUP BY ALL ORDER BY ALL"),
    propertyKeys: await query("SELECT project_id, source, key, value_type, kind, sum(count) AS count, max(last_seen) AS last_seen FROM property_keys GROUP BY ALL ORDER BY ALL"),
    propertyValues: await query("SELECT project_id, source, key, kind, value, sum(count) AS count, max(last_seen) AS last_seen FROM property_values GROUP BY ALL ORDER BY ALL"),
  };
}

describe("the filter schema", () => {
  test("is the same from the views, the backfill and the worker's tally", async () => {
    const random = seededRandom(20261204);
    // Writes of messages, as the worker makes them: each message tallied alone, a write's tallies combined.
    const writes = Array.from({ length: 12 }, () => Array.from({ length: 1 + Math.floor(random() * 8) }, () => Array.from({ length: 1 + Math.floor(random() * 60) }, () => eventRow(random))));
    for (const write of writes) {
      const rows = write.flat();
      const block = encodeEventRows(rows);
      await insertNative(clients.views, "events", EVENT_COLUMNS, block);
      await insertNative(clients.backfill, "events", EVENT_COLUMNS, block);
      const tally = new FilterSchemaTally();
      for (const message of write) tally.addPart(filterSchemaPart(message));
      for (let attempt = 0; attempt < 2; attempt++) {
        for (const { table, format, columns, rows, bytes } of encodeFilterSchemaRows(tally.rows())) {
          await sendRows(clients.tally, { table, rows: { format, columns, parts: [mergeNativeBlocks([bytes])], rows }, token: `equivalence:${writes.indexOf(write)}` });
        }
      }
    }
    for (const project of PROJECTS) await backfillFilterSchema(clients.backfill, eventsWhere("project_id = {project:UUID}"), { project });

    const views = await contents(clients.views);
    // Not vacuous: every table holds many rows, of every source and of the edges.
    expect(views.eventNames.length).toBeGreaterThanOrEqual(15);
    expect(views.propertyKeys.length).toBeGreaterThan(300);
    expect(views.propertyValues.length).toBeGreaterThan(1_000);
    expect(new Set(views.propertyKeys.map((row) => row.value_type))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(views.propertyValues.some((row) => row.value === "😀".repeat(64))).toBe(true);
    expect(views.propertyValues.some((row) => row.value === "€".repeat(85) + "a")).toBe(true);
    expect(views.propertyValues.some((row) => row.key === "__proto__" && row.source === 1)).toBe(true);
    expect(views.propertyValues.some((row) => row.key === "$screenWidth" && row.value === "65535")).toBe(true);

    const backfill = await contents(clients.backfill);
    const tally = await contents(clients.tally);
    for (const table of ["eventNames", "propertyKeys", "propertyValues"] as const) {
      expect({ table, rows: backfill[table] }).toEqual({ table, rows: views[table] });
      expect({ table, rows: tally[table] }).toEqual({ table, rows: views[table] });
    }
  });
});
