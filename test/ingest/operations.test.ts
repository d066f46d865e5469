// What operators see: metrics only on the admin listener, the address actually bound, and logs that stay one
// JSON object per line even when clients hang up mid-upload.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort } from "../support/ports.ts";
import { runPug } from "../support/pug-process.ts";
import { BATCH_CREATE } from "../support/sdk-events.ts";

let stack: IngestStack;
beforeAll(async () => {
  // A misspelt variable makes a configuration warning, which must be a JSON line too.
  stack = await ingestStack("operations", { env: { PUG_LOG_LEVEL: "debug", PUG_SERVR_PORT: "1" } });
});
afterAll(() => stack.stop());

/** Sends headers announcing `declared` bytes, then a few bytes, then drops the connection. */
async function abortMidBody(port: number, apiKey: string, declared = 100_000): Promise<void> {
  const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  socket.write(
    `POST ${BATCH_CREATE} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/proto\r\nconnect-protocol-version: 1\r\n` +
      `x-api-key: ${apiKey}\r\ncontent-length: ${declared}\r\n\r\n\x0a\x03abc`,
  );
  socket.flush();
  await Bun.sleep(50);
  socket.terminate();
}

describe("operations", () => {
  test("/metrics is served on the admin listener only; the API port keeps health and readiness", async () => {
    expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(404);
    for (const path of ["/healthz", "/health", "/readyz"]) expect([path, (await fetch(stack.baseUrl + path)).status]).toEqual([path, 200]);
    const metrics = await fetch(`${stack.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("pug_http_requests_total");
    expect((await fetch(`${stack.adminUrl}/readyz`)).status).toBe(200);
  });

  test("the start-up line names the address actually bound", () => {
    const port = new URL(stack.baseUrl).port;
    const listening = stack.server.output().split("\n").filter((line) => line.includes('"msg":"listening"'));
    expect(listening.map((line) => JSON.parse(line).url)).toEqual([`http://0.0.0.0:${port}`]);
    const admin = stack.server.output().split("\n").filter((line) => line.includes('"msg":"admin listening"'));
    expect(admin.map((line) => JSON.parse(line).url)).toEqual([stack.adminUrl]);
  });

  test("a second server whose admin address is taken exits 1 at once, naming the variable in a JSON line", async () => {
    const second = await runPug(["server"], { ...stack.env, PUG_SERVER_PORT: String(freePort()), PUG_SERVER_ADMIN_ADDR: new URL(stack.adminUrl).host });
    expect(second.code).toBe(1);
    const lines = (second.stdout + second.stderr).trim().split("\n").map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(lines.find((entry) => entry.level === "error")?.msg).toContain("cannot open the admin listener (PUG_SERVER_ADMIN_ADDR");
    expect(lines.some((entry) => entry.msg === "listening")).toBe(false);
  });

  test("clients that abort mid-body are counted, and every line the process writes is one JSON object", async () => {
    const port = Number(new URL(stack.baseUrl).port);
    for (let i = 0; i < 20; i++) await abortMidBody(port, stack.publicKey);
    const counted = () =>
      fetch(`${stack.adminUrl}/metrics`).then(
        async (r) => /pug_http_aborted_requests_total\{route="[^"]+"\} (\d+)/.exec(await r.text())?.[1],
        (error: { code?: string }) => {
          if (error.code === "ECONNREFUSED") return "no admin listener";
          throw error;
        },
      );
    // Checked after the log lines, so that on a server that does not count aborts the log is what fails.
    const deadline = Date.now() + 5_000;
    let aborted = await counted();
    while (aborted !== "20" && Date.now() < deadline) {
      await Bun.sleep(50);
      aborted = await counted();
    }
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);

    await stack.server.stop();
    const lines = stack.server.output().split("\n").filter((line) => line !== "");
    expect(lines.length).toBeGreaterThan(3);
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== "object";
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    expect(lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "configuration warning")?.warning).toContain("unknown variable PUG_SERVR_PORT");
    expect(aborted).toBe("20");
    expect(lines.filter((line) => JSON.parse(line).level === "error")).toEqual([]);
  });
});
