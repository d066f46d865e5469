// Why an accepted request still does not queue an event: a closed set, counted in replies and in /metrics.

export const DROP_REASONS = ["project_mismatch", "day_out_of_range"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Events older than this, or further ahead of the server's clock than the skew allowance, are dropped. */
export const MAX_EVENT_AGE_MS = 30 * 86_400_000;
export const MAX_CLOCK_AHEAD_MS = 86_400_000;

import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";

/** The reason this event is not queued, or undefined when it is. */
export function intakeDropReason(event: Event, projectId: string, now: number): DropReason | undefined {
  const declared = event.autoProperties.$projectId?.value;
  // UUIDs compare case-insensitively: an SDK may be initialised with the id in upper case.
  if (declared?.case === "stringValue" && declared.value !== "" && declared.value.toLowerCase() !== projectId.toLowerCase()) return "project_mismatch";
  const time = event.occurTime!;
  const ms = Number(time.seconds) * 1000 + Math.floor(time.nanos / 1e6);
  if (ms < now - MAX_EVENT_AGE_MS || ms > now + MAX_CLOCK_AHEAD_MS) return "day_out_of_range";
  return undefined;
}
