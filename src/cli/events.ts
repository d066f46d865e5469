// `pug events replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION]`: dead-lettered events messages back onto
// the partition streams they came from (needs only NATS); by default all but undecodable ones, 7d back.

import { DEFAULT_EVENTS_REPLAY_REASONS, DEFAULT_EVENTS_REPLAY_SINCE, EVENTS_DEAD_LETTER_REASONS, replayEventDeadLetters } from "../workers/events/events-dlq-replay.ts";
import { replayDlqCommand } from "./replay-dlq-command.ts";

export const eventsReplayDlqCommand = replayDlqCommand({
  stream: "events",
  noun: "message",
  onto: "the events partitions",
  summary: "queue dead-lettered events (events_dlq) for the events worker again, once what refused them is fixed",
  reasons: EVENTS_DEAD_LETTER_REASONS,
  defaultReasons: DEFAULT_EVENTS_REPLAY_REASONS,
  defaultSince: DEFAULT_EVENTS_REPLAY_SINCE,
  replay: (nats, options) => replayEventDeadLetters(nats, options),
});
