// Timing a call the way the control-plane benchmark reports it: one at a time (latency), and with many callers in
// flight for a while (throughput, and the latency each caller saw meanwhile).

import { percentile } from "./percentile.ts";

/** Milliseconds of each of `runs` calls made one after another; `call` gets the run's index. */
export async function oneAtATime(runs: number, call: (run: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await call(run);
    times.push(performance.now() - started);
  }
  return times;
}

export interface Load {
  perSecond: number;
  /** Milliseconds of each call, as its caller saw it. */
  times: number[];
}

/** `concurrency` callers calling back to back until `calls` calls are made; `call` gets the call's index. */
export async function inFlight(concurrency: number, calls: number, call: (index: number) => Promise<unknown>): Promise<Load> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let index = next++; index < calls; index = next++) {
      const sent = performance.now();
      await call(index);
      times.push(performance.now() - sent);
    }
  }));
  return { perSecond: calls / ((performance.now() - started) / 1000), times };
}

/** `12.3 ms`: one decimal below 100 ms, none above. */
export const ms = (value: number) => `${value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;

/** `p50 … / p95 …` of a list of milliseconds. */
export const p50p95 = (times: number[]) => `p50 ${ms(percentile(times, 0.5))} / p95 ${ms(percentile(times, 0.95))}`;
