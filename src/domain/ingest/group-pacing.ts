// When a stream's next group message goes out (group commit, src/server/sdk/group-commit.ts). Times are from one
// monotonic clock (performance.now()): a wall clock stepped back would hold groups for as long as the step.

/** Publishes in flight per stream at once: enough to keep the pipe busy, few enough that groups form. */
export const MAX_IN_FLIGHT = 3;
/** How long waiting requests wait for a completion before going out anyway, a slot being free. */
export const MAX_WAIT_MS = 2;
/**
 * The least time between two groups of a stream that are not full. A message's cost (the publish's socket write,
 * JetStream storing and acknowledging it, the worker fetching, acknowledging and writing it) barely depends on its
 * size at these sizes, so a gap makes groups larger and cheaper a request, for at most this much more wait. With
 * single-event requests at 32 connections on one partition (scripts/bench/ingest.ts), 1 ms answered 11.8k req/s
 * at p99 13 ms, 2 ms 9.9k at 11 ms, 4 ms 5.5k: each client waits for its answer, so the wait caps the rate. (On
 * 4 partitions each stream's groups are a quarter the size: 4 ms spent least CPU a request there.)
 */
export const MIN_GROUP_GAP_MS = 1;

export interface StreamPace {
  /** Publishes in flight. */
  inFlight: number;
  /** What the waiting requests take in a group message. */
  waitingBytes: number;
  /** When the last group started. */
  launchedAt: number;
}

/**
 * Whether a group of the waiting requests starts now: with a slot free, at once when the group is full; otherwise
 * when the stream is idle or `due` (a publish completed, or the wait ended), the gap since the last group past.
 */
export function groupStartsNow(pace: StreamPace, now: number, due: boolean, fullBytes: number): boolean {
  if (pace.inFlight >= MAX_IN_FLIGHT) return false;
  if (pace.waitingBytes >= fullBytes) return true;
  return (due || pace.inFlight === 0) && now - pace.launchedAt >= MIN_GROUP_GAP_MS;
}

/**
 * When to look again while requests wait (after groupStartsNow said no): with a slot free, after the short wait and
 * the gap; with every slot held a completion will look, so only when the oldest request (`oldestQueuedAt`) has
 * waited as long as a publish may take.
 */
export function nextLookAt(pace: StreamPace, now: number, oldestQueuedAt: number, timeoutMs: number): number {
  return pace.inFlight < MAX_IN_FLIGHT ? Math.max(now + MAX_WAIT_MS, pace.launchedAt + MIN_GROUP_GAP_MS) : oldestQueuedAt + timeoutMs;
}
