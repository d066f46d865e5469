// At most so many of one kind of costly work at once in this process; past that, refused at once (resource
// exhausted, retry in a moment) rather than queued, so a burst cannot pile up memory or outbound requests.

import { Code, ConnectError } from "../connect-errors.ts";

/** Runs `work` if fewer than `max` run now, else throws resource_exhausted saying `tooMany`. */
export type ConcurrencyCap = <T>(tooMany: string, work: () => Promise<T>) => Promise<T>;

export function concurrencyCap(max: number): ConcurrencyCap {
  let running = 0;
  return async function capped<T>(tooMany: string, work: () => Promise<T>): Promise<T> {
    if (running >= max) throw new ConnectError(`${tooMany}; retry in a moment`, Code.ResourceExhausted, { "retry-after": "1" });
    running++;
    try {
      return await work();
    } finally {
      running--;
    }
  };
}
