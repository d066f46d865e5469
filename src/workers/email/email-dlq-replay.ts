// `pug email replay-dlq`: moves dead-lettered mail jobs from `email_dlq` back onto the `email` stream, e.g. once
// an SMTP outage, a credentials mistake or a PUG_JWT_SECRET_KEY change outlasted a job's retries. Each job goes back
// as it was dead-lettered (sealed), then leaves the DLQ. Replaying is safe: a job whose mail was already sent is
// skipped by its idempotency key (email_deliveries), one whose link has expired is dropped by the worker (notAfter),
// and a replay interrupted between queueing and removing is queued again under the same message id, which
// JetStream drops as a duplicate within the stream's duplicate window.
//
// Only dead letters with one of the given reasons, dead-lettered since the given time, are moved: by default those
// that can succeed once the cause is fixed (retries_exhausted, unopenable), from the last 7 days. A mail refused for
// good, or one that is no job, would come straight back. The others stay in the DLQ (its max_age removes them).
// Only what is in the DLQ when the replay starts is moved: a replayed job that fails again is not replayed twice.

import { headers } from "@nats-io/transport-node";
import type { Nats } from "../../infra/nats.ts";
import { type DeadLetterReason, EMAIL_STREAM } from "./email-worker.ts";

/** What a replay moves unless told otherwise: dead letters a fixed cause lets through. */
export const DEFAULT_REPLAY_REASONS: readonly DeadLetterReason[] = ["retries_exhausted", "unopenable"];
/** How far back a replay reaches unless told otherwise (the DLQ keeps 30 days). */
export const DEFAULT_REPLAY_SINCE = "7d";

export interface DeadLetteredMail {
  /** Its sequence in `email_dlq`. */
  seq: number;
  reason: string;
  detail: string;
  failedAt: string;
}

export interface ReplayOptions {
  dryRun: boolean;
  reasons: readonly DeadLetterReason[];
  /** Only dead letters stored in `email_dlq` at or after this time. */
  since: Date;
}

export interface Replay {
  /** Moved (or, on a dry run, to be moved), oldest first. */
  replayed: DeadLetteredMail[];
  /** Left in the DLQ: dead-lettered for another reason, or (for one of the reasons) before `since`. */
  left: { otherReason: number; older: number };
}

export async function replayEmailDeadLetters(nats: Nats, options: ReplayOptions): Promise<Replay> {
  const dlq = nats.names.stream(`${EMAIL_STREAM}_dlq`);
  const { state } = await nats.jsm.streams.info(dlq);
  const replay: Replay = { replayed: [], left: { otherReason: 0, older: 0 } };
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // null for a sequence already gone (JetStream's "no message found"); anything else is an error.
    const stored = await nats.jsm.streams.getMessage(dlq, { seq });
    if (!stored) continue;
    const header = (name: string) => stored.header?.get(name) ?? "";
    const reason = header("Pug-Reason");
    if (!options.reasons.includes(reason as DeadLetterReason)) {
      replay.left.otherReason++;
      continue;
    }
    if (stored.time < options.since) {
      replay.left.older++;
      continue;
    }
    replay.replayed.push({ seq, reason, detail: header("Pug-Detail"), failedAt: header("Pug-Failed-At") });
    if (options.dryRun) continue;
    const h = headers();
    h.set("Pug-Replayed-From", `${dlq}:${seq}`);
    await nats.js.publish(nats.names.subject(EMAIL_STREAM, "send"), stored.data, { headers: h, msgID: `replay:${header("Nats-Msg-Id") || `${dlq}:${seq}`}` });
    await nats.jsm.streams.deleteMessage(dlq, seq, false);
  }
  return replay;
}
