// A private dev server in a child process: credentials, clean stop on SIGTERM, data kept across restarts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClickHouseError, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { type DevServerProcess, startDevServer } from "../support/clickhouse-dev-process.ts";

let server: DevServerProcess;
beforeAll(async () => {
  server = await startDevServer({ password: "s3cret" });
});
afterAll(async () => {
  await server.dispose();
});

const client = (password: string) =>
  createClient({ url: server.url, username: "default", password, log: { level: ClickHouseLogLevel.OFF } });

describe("clickhouse-dev as a process", () => {
  test("checks configured credentials on every query, whichever way they are sent", async () => {
    const good = client("s3cret");
    const bad = client("wrong");
    try {
      const result = await good.query({ query: "SELECT 1 AS one", format: "JSONEachRow" });
      expect(await result.json()).toEqual([{ one: 1 }]);
      const error = await bad.query({ query: "SELECT 1", format: "JSONEachRow" }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClickHouseError);
      expect((error as ClickHouseError).code).toBe("516");
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
    const viaHeaders = await fetch(`${server.url}/?query=SELECT%202`, { headers: { "x-clickhouse-user": "default", "x-clickhouse-key": "s3cret" } });
    expect(await viaHeaders.text()).toBe("2\n");
    const viaUrl = await fetch(`${server.url}/?query=SELECT%203&user=default&password=nope`);
    expect(viaUrl.status).toBe(403);
    expect(viaUrl.headers.get("x-clickhouse-exception-code")).toBe("516");
  });

  test("SIGTERM stops it cleanly and a restart finds the data again", async () => {
    const ch = client("s3cret");
    await ch.command({ query: "CREATE TABLE kept (id UInt32) ENGINE = MergeTree ORDER BY id" });
    await ch.insert({ table: "kept", values: [{ id: 1 }, { id: 2 }, { id: 3 }], format: "JSONEachRow" });
    await ch.close();

    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    const refused = await fetch(`${server.url}/ping`).then(() => "answered", () => "refused");
    expect(refused).toBe("refused");

    await server.restart();
    const again = client("s3cret");
    try {
      const result = await again.query({ query: "SELECT sum(id) AS total FROM kept", format: "JSONEachRow" });
      expect(await result.json()).toEqual([{ total: "6" }]);
    } finally {
      await again.close();
    }
  });

  test("SIGTERM during a streamed read cuts the stream short and exits 0 without waiting out the grace period", async () => {
    const response = await fetch(`${server.url}/?query=${encodeURIComponent("SELECT number FROM numbers(100000000)")}`, {
      headers: { "x-clickhouse-key": "s3cret" },
    });
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    await reader.cancel().catch(() => {});
    await server.restart();
  });

  test("bad command-line options exit 2 with usage", async () => {
    const proc = Bun.spawn(["bun", `${import.meta.dir}/../../scripts/lib/clickhouse-dev/main.ts`, "--port", "eighty"], { stderr: "pipe", stdout: "ignore" });
    expect(await proc.exited).toBe(2);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toContain("--port must be a TCP port");
    expect(stderr).toContain("usage:");
  });
});
