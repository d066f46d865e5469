import { describe, expect, test } from "bun:test";
import { createLogger } from "../logger.ts";
import { createMetrics } from "./metrics.ts";
import { natsConnectionReporter } from "./nats-connection-log.ts";

describe("natsConnectionReporter", () => {
  test("one JSON line per change, reconnect attempts at most every 10 s, everything counted", async () => {
    const lines: Record<string, unknown>[] = [];
    const metrics = createMetrics();
    let clock = 1_000_000;
    const report = natsConnectionReporter(createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) }), metrics, () => clock);

    report({ event: "disconnect", server: "10.0.0.1:4222" });
    for (let attempt = 0; attempt < 30; attempt++) {
      report({ event: "reconnecting", server: "10.0.0.1:4222" });
      clock += 500;
    }
    report({ event: "reconnect", server: "10.0.0.2:4222" });
    report({ event: "error", server: "10.0.0.2:4222", error: new Error("Authorization Violation") });
    report({ event: "ldm", server: "10.0.0.2:4222" });

    expect(lines.map(({ time: _time, ...rest }) => rest)).toEqual([
      { level: "warn", msg: "nats disconnected", event: "disconnect", server: "10.0.0.1:4222" },
      { level: "warn", msg: "nats reconnecting", event: "reconnecting", server: "10.0.0.1:4222", attempts: 1, down_ms: 0 },
      { level: "warn", msg: "nats reconnecting", event: "reconnecting", server: "10.0.0.1:4222", attempts: 21, down_ms: 10_000 },
      { level: "info", msg: "nats reconnected", event: "reconnect", server: "10.0.0.2:4222", attempts: 30, down_ms: 15_000 },
      { level: "error", msg: "nats connection error", event: "error", server: "10.0.0.2:4222", error: { name: "Error", message: "Authorization Violation" } },
      { level: "warn", msg: "nats server entering lame duck mode; moving to another server", event: "ldm", server: "10.0.0.2:4222" },
    ]);
    const text = await metrics.text();
    for (const [event, count] of [["disconnect", 1], ["reconnecting", 30], ["reconnect", 1], ["error", 1], ["ldm", 1]] as const) {
      expect(text).toContain(`pug_nats_connection_events_total{event="${event}"} ${count}\n`);
    }
    expect(text).toContain("pug_nats_connected 1\n");
  });
});
