// Batch load from this Bun process: as fast as the server answers (`concurrency` requests in flight), or paced at
// a fixed rate. Every request must be answered 200; anything else ends the benchmark with the server's answer.

import { sdkRequest } from "../../../test/support/sdk-events.ts";

async function send(base: string, apiKey: string, body: Uint8Array, what: string): Promise<void> {
  const response = await sdkRequest(base, apiKey, body);
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

/** Sends every body, `concurrency` at a time, in order; returns when each was sent (ms, performance.now()). */
export async function saturatingLoad(base: string, apiKey: string, bodies: Uint8Array[], concurrency: number): Promise<number[]> {
  const sentAt: number[] = new Array(bodies.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const i = next++;
      sentAt[i] = performance.now();
      await send(base, apiKey, bodies[i]!, `batch ${i}`);
    }
  }));
  return sentAt;
}

/**
 * Sends the bodies at `perSecond` requests a second on a fixed schedule (an open loop: a slow answer does not
 * delay the next send), refusing to hold more than `maxInFlight` unanswered. Fills `sentAt` (read by the caller while it runs) with each body's send time.
 */
export async function pacedLoad(base: string, apiKey: string, bodies: Uint8Array[], perSecond: number, sentAt: number[] = new Array(bodies.length), maxInFlight = 512): Promise<number[]> {
  const inFlight = new Set<Promise<void>>();
  // The first failed request ends the load; it is kept here (not left to reject unobserved) and thrown below.
  let failure: Error | undefined;
  const started = performance.now();
  for (let i = 0; i < bodies.length; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    if (failure) break;
    if (inFlight.size >= maxInFlight) throw new Error(`more than ${maxInFlight} requests unanswered at ${perSecond.toFixed(0)} req/s: the rate is not sustainable`);
    sentAt[i] = performance.now();
    const request: Promise<void> = send(base, apiKey, bodies[i]!, `paced batch ${i}`)
      .catch((error: Error) => void (failure ??= error))
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return sentAt;
}
