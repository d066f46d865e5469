// `pug email replay-dlq`: moves dead-lettered mail jobs from `email_dlq` back onto the `email` stream, e.g. once
// an SMTP outage or a credentials mistake outlasted a job's retries. Each job goes back as it was dead-lettered
// (sealed), then leaves the DLQ. Replaying is safe: a job whose mail was already sent is skipped by its
// idempotency key (email_deliveries), and a replay interrupted between queueing and removing is queued again under
// the same message id, which JetStream drops as a duplicate within the stream's duplicate window.
//
// Only what is in the DLQ when the replay starts is moved: a replayed job that fails again is not replayed twice.

import { headers } from "@nats-io/transport-node";
import type { Nats } from "../../infra/nats.ts";
import { EMAIL_STREAM } from "./email-worker.ts";

export interface DeadLetteredMail {
  /** Its sequence in `email_dlq`. */
  seq: number;
  reason: string;
  detail: string;
  failedAt: string;
}

/** The mail jobs dead-lettered now, oldest first; moved back onto the email stream unless `dryRun`. */
export async function replayEmailDeadLetters(nats: Nats, options: { dryRun: boolean }): Promise<DeadLetteredMail[]> {
  const dlq = nats.names.stream(`${EMAIL_STREAM}_dlq`);
  const { state } = await nats.jsm.streams.info(dlq);
  const letters: DeadLetteredMail[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // null for a sequence already gone (JetStream's "no message found"); anything else is an error.
    const stored = await nats.jsm.streams.getMessage(dlq, { seq });
    if (!stored) continue;
    const header = (name: string) => stored.header?.get(name) ?? "";
    letters.push({ seq, reason: header("Pug-Reason"), detail: header("Pug-Detail"), failedAt: header("Pug-Failed-At") });
    if (options.dryRun) continue;
    const h = headers();
    h.set("Pug-Replayed-From", `${dlq}:${seq}`);
    await nats.js.publish(nats.names.subject(EMAIL_STREAM, "send"), stored.data, { headers: h, msgID: `replay:${header("Nats-Msg-Id") || `${dlq}:${seq}`}` });
    await nats.jsm.streams.deleteMessage(dlq, seq, false);
  }
  return letters;
}
