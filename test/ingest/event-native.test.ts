// Event rows written as Native blocks (what the events worker sends) read back from the real ClickHouse exactly as
// the same rows written as JSONEachRow: every column type of events (the LowCardinality ones sent as String),
// unicode, long texts, empty maps, the edges of DateTime64(3) and UInt16, and a big batch.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ClickHouseClient } from "@clickhouse/client";
import { EVENT_COLUMNS, encodeEventRows } from "../../src/domain/ingest/event-native.ts";
import { clickhouseTime, type EventRow } from "../../src/domain/ingest/event-row.ts";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { sendRows } from "../../src/pipeline/clickhouse-insert.ts";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();
const database = `pug_test_${env.runId}_event_native`;
let ch: ClickHouseClient;

/** The events table as migrated (0001 and 0002), under another name. */
function eventsTableSql(name: string): string[] {
  const create = readFileSync("migrations/clickhouse/0001_events.sql", "utf8").replace("CREATE TABLE IF NOT EXISTS events", `CREATE TABLE ${name}`);
  const alter = readFileSync("migrations/clickhouse/0002_typed_properties.sql", "utf8").split("\n").filter((line) => line.startsWith("ALTER TABLE events"));
  return [create, ...alter.map((line) => line.replace("ALTER TABLE events", `ALTER TABLE ${name}`).replace(/;$/, ""))];
}

beforeAll(async () => {
  const admin = createClickHouse({ url: env.clickhouseUrl, database: "default" });
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await admin.close();
  ch = createClickHouse({ url: env.clickhouseUrl, database });
  for (const table of ["events_json", "events_native", "events_big_json", "events_big_native"]) for (const query of eventsTableSql(table)) await ch.command({ query });
});
afterAll(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await ch.close();
});

const map = <V>(entries: [string, V][]): Record<string, V> => Object.assign(Object.create(null), Object.fromEntries(entries));

function row(n: number, overrides: Partial<EventRow> = {}): EventRow {
  return {
    project_id: "0192f5a4-7c1e-7b3d-9a10-3f2e1d0c4b5a", event_id: `0192f5a4-7c1e-7b3d-9a10-00000000000${n}`, kind: "pageview",
    occurred_at: Date.parse("2026-03-01T12:00:00.123Z"), received_at: Date.parse("2026-03-01T12:00:01.000Z"), distinct_id: `visitor-${n}`,
    session_id: "0192f5a4-7c1e-7b3d-9a10-ffffffffffff", cookieless: false, is_bot: false, url: "https://example.com/a?utm_source=x",
    pathname: "/a", hostname: "example.com", referrer: "", referrer_domain: "", channel: "Direct", utm_source: "x", utm_medium: "",
    utm_campaign: "", utm_term: "", utm_content: "", page_title: "Home", locale: "en-GB", screen_width: 1920, screen_height: 1080,
    platform: "web", sdk_version: "1.2.3", browser: "Chrome", browser_version: "131", os: "Windows", os_version: "11",
    device_type: "desktop", country: "GB", region: "ENG", city: "London",
    auto_properties: map([]), auto_types: map([]), custom_properties: map([]), custom_numbers: map([]), custom_types: map([]),
    ...overrides,
  };
}

const rows: EventRow[] = [
  row(1),
  row(2, {
    kind: "signup ✓", distinct_id: "пользователь-😀", cookieless: true, is_bot: true, page_title: "日本語のタイトル 🐶".repeat(50),
    city: "São Paulo", screen_width: 65_535, screen_height: 0, occurred_at: Date.parse("1900-01-01T00:00:00.000Z"), received_at: Date.parse("2299-12-31T23:59:59.999Z"),
    auto_properties: map([["$visits", "7"], ["$darkMode", "true"], ["__proto__", "data"]]), auto_types: map([["$visits", 2], ["$darkMode", 4]]),
    custom_properties: map([["plan", "pro"], ["ratio", "0.30000000000000004"], ["huge", "x".repeat(20_000)], ["ключ", "значение"], ["", ""]]),
    custom_numbers: map([["ratio", 0.1 + 0.2], ["neg", -1.5e300], ["max", 9_223_372_036_854_775_807]]), custom_types: map([["ratio", 3], ["neg", 3], ["max", 2]]),
  }),
  row(3, { url: "", pathname: "", hostname: "", channel: "", locale: "", screen_width: 0, kind: "", distinct_id: "", session_id: "00000000-0000-0000-0000-000000000000" }),
];

/** The rows as JSONEachRow takes them: times as ClickHouse's text. */
const asJson = (list: EventRow[]) => list.map((r) => ({ ...r, occurred_at: clickhouseTime(r.occurred_at), received_at: clickhouseTime(r.received_at) }));
const native = (parts: EventRow[][]) => ({ format: "Native" as const, columns: EVENT_COLUMNS, parts: parts.map(encodeEventRows), rows: parts.flat().length });

async function stored(table: string): Promise<unknown[]> {
  const result = await ch.query({ query: `SELECT * FROM ${table} ORDER BY event_id`, format: "JSONEachRow" });
  return await result.json();
}

test("rows written as Native blocks read back as the same rows written as JSONEachRow", async () => {
  await sendRows(ch, { table: "events_json", rows: asJson(rows), token: "json" });
  await sendRows(ch, { table: "events_native", rows: native([rows.slice(0, 1), rows.slice(1)]), token: "native" });
  const json = await stored("events_json");
  expect(json).toHaveLength(rows.length);
  expect(await stored("events_native")).toEqual(json);
});

test("a big batch of blocks (varied texts and maps) reads back as written", async () => {
  const big = Array.from({ length: 20_000 }, (_, i) => row(0, {
    event_id: `0192f5a4-7c1e-7b3d-9a10-${i.toString(16).padStart(12, "0")}`, distinct_id: i % 2 ? `visitor-${i}` : `посетитель-${i}-🐶`,
    kind: ["pageview", "click", "signup ✓"][i % 3]!, occurred_at: Date.parse("2026-03-01T00:00:00Z") + i * 997, screen_width: i % 65_536,
    page_title: "título ".repeat(i % 40), custom_properties: map(i % 5 ? [["plan", `p${i % 7}`], ["n", String(i)]] : []),
    custom_numbers: map(i % 5 ? [["n", i / 3]] : []), custom_types: map(i % 5 ? [["n", 3]] : []),
  }));
  await sendRows(ch, { table: "events_big_json", rows: asJson(big), token: "big-json" });
  await sendRows(ch, { table: "events_big_native", rows: native([big.slice(0, 50), big.slice(50, 12_345), big.slice(12_345)]), token: "big-native" });
  const json = await stored("events_big_json");
  expect(json).toHaveLength(big.length);
  expect(await stored("events_big_native")).toEqual(json);
});

test("every column of the events table is written", async () => {
  const result = await ch.query({ query: "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events_native' ORDER BY name", format: "JSONEachRow" });
  const columns = (await result.json<{ name: string }>()).map((column) => column.name);
  expect([...EVENT_COLUMNS].sort()).toEqual(columns);
});

test("a repeated Native insert under the same token is dropped", async () => {
  const body = native([[row(4)]]);
  await sendRows(ch, { table: "events_native", rows: body, token: "again" });
  await sendRows(ch, { table: "events_native", rows: body, token: "again" });
  const result = await ch.query({ query: "SELECT count() AS n FROM events_native WHERE distinct_id = 'visitor-4'", format: "JSONEachRow" });
  expect(await result.json()).toEqual([{ n: "1" }]);
});
