// Moves dead letters back onto the stream they came from, once what made them fail is fixed (`pug email
// replay-dlq`, `pug events replay-dlq`). Each goes back as it was dead-lettered, then leaves the DLQ. A replay
// interrupted between queueing and removing queues it again under the same message id, which JetStream drops as a
// duplicate within the stream's duplicate window.
//
// Only dead letters with one of the given reasons, dead-lettered since the given time, are moved: a message refused
// for good would come straight back. The others stay in the DLQ (its max_age removes them). Only what is in the
// DLQ when the replay starts is moved: a replayed message that fails again is not replayed twice.

import { headers } from "@nats-io/transport-node";
import type { Nats } from "../infra/nats.ts";

export interface DeadLetterSummary {
  /** Its sequence in the DLQ. */
  seq: number;
  reason: string;
  detail: string;
  failedAt: string;
}

/** A dead letter as stored: its data, and its headers (see ./dead-letter.ts). */
export interface StoredDeadLetter extends DeadLetterSummary {
  data: Uint8Array;
  header(name: string): string;
}

export interface ReplayOptions {
  dryRun: boolean;
  reasons: readonly string[];
  /** Only dead letters stored in the DLQ at or after this time. */
  since: Date;
}

export interface Replay {
  /** Moved (or, on a dry run, to be moved), oldest first. */
  replayed: DeadLetterSummary[];
  /** Left in the DLQ: dead-lettered for another reason, or (for one of the reasons) before `since`. */
  left: { otherReason: number; older: number };
}

/** Where a dead letter goes back to: the full subject, and the message (its data as stored, or re-framed). */
export type ReplayTarget = (letter: StoredDeadLetter) => Promise<{ subject: string; data: Uint8Array }>;

/** Replays the dead letters of `dlq` (a bare stream name) that `options` select, each to where `target` says. */
export async function replayDeadLetters(nats: Nats, dlq: string, options: ReplayOptions, target: ReplayTarget): Promise<Replay> {
  const stream = nats.names.stream(dlq);
  const { state } = await nats.jsm.streams.info(stream);
  const replay: Replay = { replayed: [], left: { otherReason: 0, older: 0 } };
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // null for a sequence already gone (JetStream's "no message found"); anything else is an error.
    const stored = await nats.jsm.streams.getMessage(stream, { seq });
    if (!stored) continue;
    const header = (name: string) => stored.header?.get(name) ?? "";
    const reason = header("Pug-Reason");
    if (!options.reasons.includes(reason)) {
      replay.left.otherReason++;
      continue;
    }
    if (stored.time < options.since) {
      replay.left.older++;
      continue;
    }
    const summary = { seq, reason, detail: header("Pug-Detail"), failedAt: header("Pug-Failed-At") };
    replay.replayed.push(summary);
    if (options.dryRun) continue;
    const { subject, data } = await target({ ...summary, data: stored.data, header });
    const h = headers();
    h.set("Pug-Replayed-From", `${stream}:${seq}`);
    await nats.js.publish(subject, data, { headers: h, msgID: `replay:${header("Nats-Msg-Id") || `${stream}:${seq}`}` });
    await nats.jsm.streams.deleteMessage(stream, seq, false);
  }
  return replay;
}
