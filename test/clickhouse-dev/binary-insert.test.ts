// Binary INSERT bodies (RowBinary, Native) through @clickhouse/client's exec(), with request compression off and on:
// the rows that land are exactly the rows sent, byte for byte (the events writer encodes RowBinary itself).
// A private server, so that the server under test is this checkout's.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Readable } from "node:stream";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { type DevServerProcess, startDevServer } from "../support/clickhouse-dev-process.ts";

let server: DevServerProcess;
let plain: ClickHouseClient;
let gzip: ClickHouseClient;
beforeAll(async () => {
  server = await startDevServer();
  const client = (request: boolean) =>
    createClient({ url: server.url, compression: { request, response: false }, log: { level: ClickHouseLogLevel.OFF } });
  plain = client(false);
  gzip = client(true);
});
afterAll(async () => {
  await Promise.all([plain?.close(), gzip?.close()]);
  await server?.dispose();
});

/** RowBinary of `(id UInt32, name String, score Float64, tags Map(String, String))`, encoded here, not by the engine. */
function rowBinary(rows: number): Uint8Array<ArrayBuffer> {
  const parts: number[] = [];
  const varUInt = (n: number) => {
    while (n >= 0x80) {
      parts.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    parts.push(n);
  };
  const bytes = (b: Uint8Array | number[]) => {
    varUInt(b.length);
    for (const x of b) parts.push(x);
  };
  const scratch = new DataView(new ArrayBuffer(8));
  for (let id = 0; id < rows; id++) {
    scratch.setUint32(0, id, true);
    for (let k = 0; k < 4; k++) parts.push(scratch.getUint8(k));
    // Any bytes at all: NUL, newline, tab, quotes, backslash, invalid UTF-8, and a run long enough to need a 2-byte length.
    bytes(Array.from({ length: (id * 37) % 300 }, (_, k) => (id + k * 13) % 256));
    scratch.setFloat64(0, id / 3 - 1000, true);
    for (let k = 0; k < 8; k++) parts.push(scratch.getUint8(k));
    const tags = id % 4;
    varUInt(tags);
    for (let t = 0; t < tags; t++) {
      bytes(new TextEncoder().encode(`k${t}`));
      bytes(new TextEncoder().encode(`v\n${id}\0${"é".repeat(t)}`));
    }
  }
  return new Uint8Array(parts);
}

/** The body in uneven pieces, as a network delivers it. */
function pieces(body: Uint8Array): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, size = 1; at < body.byteLength; at += size, size = (size * 7 + 5) % 70_001) {
    chunks.push(Buffer.from(body.subarray(at, at + size)));
  }
  return Readable.from(chunks);
}

async function bytesOf(ch: ClickHouseClient, query: string): Promise<Uint8Array> {
  const result = await ch.exec({ query });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

async function insert(ch: ClickHouseClient, query: string, body: Uint8Array): Promise<string | undefined> {
  const result = await ch.exec({ query, values: pieces(body) });
  for await (const _ of result.stream);
  return result.summary?.written_rows;
}

describe("binary INSERT bodies through clickhouse-dev", () => {
  for (const [label, ch] of [["uncompressed", () => plain], ["gzip", () => gzip]] as const) {
    test(`RowBinary (${label}): the rows read back are the bytes sent`, async () => {
      const table = `rb_${label}`;
      await plain.command({ query: `CREATE TABLE ${table} (id UInt32, name String, score Float64, tags Map(String, String)) ENGINE = MergeTree ORDER BY id` });
      const body = rowBinary(20_000);
      expect(body.byteLength).toBeGreaterThan(2 ** 20);
      expect(await insert(ch(), `INSERT INTO ${table} FORMAT RowBinary`, body)).toBe("20000");
      const back = await bytesOf(plain, `SELECT * FROM ${table} ORDER BY id FORMAT RowBinary`);
      expect(back.byteLength).toBe(body.byteLength);
      expect(Buffer.compare(back, body)).toBe(0);
    });

    test(`Native (${label}): the rows that land are the rows of the blocks sent`, async () => {
      const table = `native_${label}`;
      const columns = "id UInt64, at DateTime64(3, 'UTC'), kind LowCardinality(String), event UUID, props Map(LowCardinality(String), String), ok Bool";
      await plain.command({ query: `CREATE TABLE ${table} (${columns}) ENGINE = MergeTree ORDER BY id` });
      const source = `SELECT number AS id, toDateTime64(1700000000 + number / 7, 3, 'UTC') AS at, ['view', 'click', 'signup'][number % 3 + 1] AS kind,
        generateUUIDv4(number) AS event, map('$url', concat('https://x.test/', toString(number)), 'bytes', unhex(hex(number * 2654435761))) AS props, number % 2 = 0 AS ok
        FROM numbers(30000)`;
      await plain.command({ query: `CREATE TABLE ${table}_source (${columns}) ENGINE = MergeTree ORDER BY id` });
      await plain.command({ query: `INSERT INTO ${table}_source ${source}` });
      // Several blocks, so that block boundaries fall inside the body.
      const body = await bytesOf(plain, `SELECT * FROM ${table}_source ORDER BY id SETTINGS max_block_size = 7000 FORMAT Native`);
      expect(await insert(ch(), `INSERT INTO ${table} FORMAT Native`, body)).toBe("30000");
      const sent = await bytesOf(plain, `SELECT * FROM ${table}_source ORDER BY id FORMAT RowBinary`);
      const landed = await bytesOf(plain, `SELECT * FROM ${table} ORDER BY id FORMAT RowBinary`);
      expect(landed.byteLength).toBe(sent.byteLength);
      expect(Buffer.compare(landed, sent)).toBe(0);
    });
  }

  test("listed columns and omitted fields: the other columns get their DEFAULT expressions, as ClickHouse fills them", async () => {
    await plain.command({ query: "CREATE TABLE defaults (a UInt32, b String DEFAULT concat('d', toString(a)), c UInt8 DEFAULT 7) ENGINE = MergeTree ORDER BY a" });
    // RowBinary of (a UInt32, c UInt8) for a = 1, 2 and c = 9.
    const ac = new Uint8Array([1, 0, 0, 0, 9, 2, 0, 0, 0, 9]);
    expect(await insert(plain, "INSERT INTO defaults (a, c) FORMAT RowBinary", ac)).toBe("2");
    expect(await insert(gzip, "INSERT INTO defaults FORMAT JSONEachRow", new TextEncoder().encode('{"a":3}\n{"a":4,"c":3,"b":"x"}\n'))).toBe("2");
    const rows = new TextDecoder().decode(await bytesOf(plain, "SELECT a, b, c FROM defaults ORDER BY a FORMAT CSV"));
    expect(rows).toBe('1,"d1",9\n2,"d2",9\n3,"d3",7\n4,"x",3\n');
  });

  test("a batch sent again with the same insert_deduplication_token lands once, as the events writer relies on", async () => {
    await plain.command({
      query: "CREATE TABLE dedup (id UInt32, name String, score Float64, tags Map(String, String)) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100",
    });
    const body = rowBinary(500);
    for (const [client, token] of [[plain, "range-1"], [gzip, "range-1"], [plain, "range-2"]] as const) {
      const result = await client.exec({ query: "INSERT INTO dedup FORMAT RowBinary", values: pieces(body), clickhouse_settings: { insert_deduplication_token: token } });
      for await (const _ of result.stream);
    }
    const count = await bytesOf(plain, "SELECT count() FROM dedup FORMAT TabSeparated");
    expect(new TextDecoder().decode(count)).toBe("1000\n");
  });

  test("a gzip body cut short inserts nothing and names the failure", async () => {
    await plain.command({ query: "CREATE TABLE rb_cut (id UInt32, name String, score Float64, tags Map(String, String)) ENGINE = MergeTree ORDER BY id" });
    const whole = Bun.gzipSync(rowBinary(1_000));
    const response = await fetch(`${server.url}/?query=${encodeURIComponent("INSERT INTO rb_cut FORMAT RowBinary")}`, {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: whole.slice(0, whole.byteLength >> 1),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get("x-clickhouse-exception-code")).not.toBeNull();
    const count = await bytesOf(plain, "SELECT count() FROM rb_cut FORMAT TabSeparated");
    expect(new TextDecoder().decode(count)).toBe("0\n");
  });
});
