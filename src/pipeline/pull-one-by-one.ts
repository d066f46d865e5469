// The loop of a worker that handles its messages one at a time (the erasure loop, the email worker): pull one,
// hand it over, and pull the next once it is acknowledged or nak'ed. A failed pull (a reconnect, a leader
// election) is retried with backoff; `handle` answers the message itself and must not throw for a bad one.

import type { Consumer, JsMsg } from "@nats-io/jetstream";
import { backoffDelay, sleep } from "../domain/backoff.ts";
import type { Logger } from "../logger.ts";

/** Returns when `signal` aborts; a message being handled then is finished first. */
export async function pullOneByOne(consumer: Consumer, handle: (message: JsMsg) => Promise<void>, signal: AbortSignal, log: Logger, what: string): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const messages = await consumer.fetch({ max_messages: 1, expires: 5_000 });
      const stop = () => messages.stop();
      signal.addEventListener("abort", stop, { once: true });
      try {
        for await (const message of messages) await handle(message);
      } finally {
        signal.removeEventListener("abort", stop);
      }
      failures = 0;
    } catch (error) {
      if (signal.aborted) break;
      failures++;
      const delay = backoffDelay(failures, { baseMs: 200, maxMs: 5_000 });
      if (failures === 1 || failures % 20 === 0) log.warn(`pulling ${what} failed; pulling again`, { failures, retry_in_ms: delay, error });
      await sleep(delay, signal);
    }
  }
}
