// Which waiting requests go out together in the next group message: the oldest first, as many as fit in one
// message, and always at least one (a request larger than a message never waits here: it is split and sent alone).

import { GROUP_FRAMING_BYTES } from "./ingest-frames.ts";

/** How many of `pending` (oldest first, each with its encoded size) the next group takes, within `maxBytes`. */
export function takeGroup(pending: readonly { bytes: number }[], maxBytes: number): number {
  let size = 0;
  let count = 0;
  for (const entry of pending) {
    size += entry.bytes + GROUP_FRAMING_BYTES;
    if (count > 0 && size > maxBytes) break;
    count++;
  }
  return count;
}
