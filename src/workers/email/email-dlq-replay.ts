// `pug email replay-dlq`: moves dead-lettered mail jobs from `email_dlq` back onto the `email` stream, e.g. once
// an SMTP outage, a credentials mistake or a PUG_JWT_SECRET_KEY change outlasted a job's retries. Each job goes back
// as it was dead-lettered (sealed; see src/pipeline/dead-letter-replay.ts). Replaying is safe: a job whose mail was
// already sent is skipped by its idempotency key (email_deliveries), and one whose link has expired is dropped by
// the worker (notAfter). By default only those that can succeed once the cause is fixed (retries_exhausted,
// unopenable) are moved, from the last 7 days: a mail refused for good, or one that is no job, would come back.

import type { Nats } from "../../infra/nats.ts";
import { type Replay, type ReplayOptions, replayDeadLetters } from "../../pipeline/dead-letter-replay.ts";
import { type DeadLetterReason, EMAIL_STREAM } from "./email-worker.ts";

/** What a replay moves unless told otherwise: dead letters a fixed cause lets through. */
export const DEFAULT_REPLAY_REASONS: readonly DeadLetterReason[] = ["retries_exhausted", "unopenable"];
/** How far back a replay reaches unless told otherwise (the DLQ keeps 30 days). */
export const DEFAULT_REPLAY_SINCE = "7d";

export async function replayEmailDeadLetters(nats: Nats, options: ReplayOptions): Promise<Replay> {
  return await replayDeadLetters(nats, `${EMAIL_STREAM}_dlq`, options, async (letter) => ({ subject: nats.names.subject(EMAIL_STREAM, "send"), data: letter.data }));
}
