import { describe, expect, test } from "bun:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { createMetrics } from "../../app/metrics.ts";
import { createLogger } from "../../logger.ts";
import { Code } from "../connect-errors.ts";
import { isQueueFull, refuseQueueing } from "./queue-full.ts";

// What nats-server 2.9 answers a publish into a full stream (seen on the wire), and look-alikes that are not.
const apiError = (code: number, err_code: number, description: string) => new JetStreamApiError({ code, err_code, description });

describe("isQueueFull", () => {
  test.each([
    ["10077 maximum bytes exceeded", true, () => apiError(503, 10077, "maximum bytes exceeded")],
    ["10077 maximum messages exceeded", true, () => apiError(503, 10077, "maximum messages exceeded")],
    ["10077 maximum messages per subject exceeded", true, () => apiError(503, 10077, "maximum messages per subject exceeded")],
    ["10047 insufficient storage resources", true, () => apiError(503, 10047, "insufficient storage resources available")],
    ["10077 a disk write error", false, () => apiError(503, 10077, "write error: no space left on device")],
    ["10059 stream not found", false, () => apiError(404, 10059, "stream not found")],
    ["a plain Error with the same words", false, () => new Error("maximum bytes exceeded")],
    ["a timeout", false, () => new Error("TIMEOUT")],
  ] as const)("%s → full: %p", (_name, full, error) => {
    expect(isQueueFull(error())).toBe(full);
  });
});

describe("refuseQueueing", () => {
  test("a full queue is retryable with Retry-After and counted, not logged; an outage is logged without Retry-After", async () => {
    const lines: string[] = [];
    const deps = { metrics: createMetrics(), log: createLogger({ write: (line) => lines.push(line) }) };
    const full = refuseQueueing(deps, "event", apiError(503, 10077, "maximum bytes exceeded"), {});
    expect([full.code, full.rawMessage, full.metadata.get("retry-after")]).toEqual([Code.Unavailable, "the event queue is full; retry after 30 s", "30"]);
    expect(lines).toEqual([]);
    expect(await deps.metrics.text()).toContain('pug_intake_queue_full_total{queue="event"} 1');

    const down = refuseQueueing(deps, "profile", new Error("CONNECTION_CLOSED"), { project_id: "p" });
    expect([down.code, down.rawMessage, down.metadata.get("retry-after")]).toEqual([Code.Unavailable, "the profile queue is unavailable; retry", null]);
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["could not queue identify"]);
  });
});
