// The scheduled time a cron run belongs to. Every scheduler computes it from the pattern, not from its own clock,
// so two schedulers woken a few milliseconds apart (or one a little early) name the same slot and only one of
// them claims it.

import { Cron } from "croner";

/** How early or late a timer may fire and still belong to the scheduled time it was set for. */
const TOLERANCE_MS = 1_000;

/** The latest time `pattern` (UTC, with seconds) was due at or before `firedAt`, give or take a second. */
export function scheduledSlot(pattern: string, firedAt: Date): Date {
  const cron = new Cron(pattern, { timezone: "UTC", paused: true });
  const [slot] = cron.previousRuns(1, new Date(firedAt.getTime() + TOLERANCE_MS));
  cron.stop();
  if (!slot) throw new Error(`cron pattern '${pattern}' was never due before ${firedAt.toISOString()}`);
  return slot;
}
