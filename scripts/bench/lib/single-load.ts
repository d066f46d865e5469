// Single-event load from this Bun process (the fallback when wrk is missing): `connections` senders for a fixed
// time, each awaiting its answer before sending again, rotating over distinct bodies like wrk-rotate.lua.

import { sdkRequest } from "../../../test/support/sdk-events.ts";
import { bodyForPass, type RotatingBody } from "./ingest-bodies.ts";
import { percentile } from "./percentile.ts";

export interface SingleLoadResult {
  generator: string;
  requests: number;
  /** Requests not answered 200 (or not answered at all). */
  errors: number;
  errorDetail: string;
  seconds: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  generatorCpuSeconds: number;
}

export async function bunSingleLoad(base: string, apiKey: string, bodies: RotatingBody[], options: { connections: number; seconds: number }): Promise<SingleLoadResult> {
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + options.seconds * 1000;
  await Promise.all(Array.from({ length: options.connections }, async (_, sender) => {
    // Each sender takes every connections-th body, so no two senders send the same one.
    const mine = bodies.filter((_, i) => i % options.connections === sender);
    for (let n = 0; performance.now() < until; n++) {
      const body = bodyForPass(mine[n % mine.length]!, sender + 1, Math.floor(n / mine.length));
      const t = performance.now();
      const response = await sdkRequest(base, apiKey, body).catch((error: Error) => error);
      latencies.push(performance.now() - t);
      if (response instanceof Error || response.status !== 200) {
        const key = response instanceof Error ? response.message : String(response.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
      if (!(response instanceof Error)) await response.arrayBuffer();
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const errors = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    generator: `Bun fetch, ${options.connections} connections (in the bench process)`,
    requests: latencies.length,
    errors,
    errorDetail: errors ? `errors: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join(", ")}` : "",
    seconds,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
