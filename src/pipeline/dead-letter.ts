// Messages a writer can never store go to the stream's dead-letter twin, with why, so an operator can look at
// them and the stream moves on. The message id makes a repeated move harmless. Moving is retried until JetStream
// takes it: the original is acknowledged only after that, so a message is never dropped on its way.

import { headers } from "@nats-io/transport-node";
import { backoffDelay, sleep } from "../domain/backoff.ts";
import type { Nats } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";

export interface DeadLetter {
  stream: string;
  /** The dead-letter stream's bare name; `<stream>_dlq` when not given. */
  to?: string;
  seq: number;
  data: Uint8Array;
  reason: string;
  detail: string;
}

export async function deadLetter(nats: Nats, letter: DeadLetter, signal: AbortSignal, log: Logger): Promise<void> {
  const h = headers();
  h.set("Pug-Reason", letter.reason);
  h.set("Pug-Detail", letter.detail.replace(/[\r\n]+/g, " ").slice(0, 1000));
  h.set("Pug-Source-Stream", nats.names.stream(letter.stream));
  h.set("Pug-Source-Seq", String(letter.seq));
  h.set("Pug-Failed-At", new Date().toISOString());
  const subject = nats.names.subject(letter.to ?? `${letter.stream}_dlq`, letter.reason);
  for (let attempt = 1; ; attempt++) {
    try {
      await nats.js.publish(subject, letter.data, { headers: h, msgID: `dlq:${letter.stream}:${letter.seq}:${letter.reason}` });
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
      log.warn("could not move a message to the dead-letter stream; retrying", { stream: letter.stream, seq: letter.seq, attempt, retry_in_ms: delay, error });
      await sleep(delay, signal);
    }
  }
}
