// A full stream is back-pressure, not an outage: JetStream refuses new messages once a stream reaches its
// max_bytes or max_msgs (discard new), and the SDK is told to come back later. Nothing accepted is dropped.

import { JetStreamApiError } from "@nats-io/jetstream";
import type { Metrics } from "../../app/metrics.ts";
import type { LogFields, Logger } from "../../logger.ts";
import { Code, ConnectError } from "../connect-errors.ts";

/** What JetStream answers a publish into a full stream (checked against nats-server 2.9 and 2.10). */
const STORE_FAILED = 10077; // "maximum bytes exceeded", "maximum messages exceeded", …
const STORAGE_EXHAUSTED = 10047; // "insufficient storage resources available": the server's own storage is full

/** Seconds an SDK should wait before sending to a full queue again: long enough for the workers to drain some. */
export const QUEUE_FULL_RETRY_SECONDS = 30;

export function isQueueFull(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  if (error.code === STORAGE_EXHAUSTED) return true;
  return error.code === STORE_FAILED && /^maximum (bytes|messages|messages per subject) exceeded/i.test(error.message);
}

type Queue = "event" | "profile";

/**
 * The error for the SDK when a publish failed: retryable either way, with Retry-After when the queue is full. A
 * full queue is expected back-pressure, so it is counted; anything else is logged.
 */
export function refuseQueueing(deps: { metrics: Metrics; log: Logger }, queue: Queue, error: unknown, fields: LogFields): ConnectError {
  if (isQueueFull(error)) return queueFull(deps, queue, error);
  deps.log.warn(`could not queue ${queue === "event" ? "events" : "identify"}`, { ...fields, error });
  return new ConnectError(`the ${queue} queue is unavailable; retry`, Code.Unavailable, undefined, undefined, error);
}

/** The answer when `queue` has no room (JetStream said so, or queue-room.ts saw it coming); counted. */
export function queueFull(deps: { metrics: Metrics }, queue: Queue, cause?: unknown): ConnectError {
  deps.metrics.intakeQueueFull.inc({ queue });
  return new ConnectError(`the ${queue} queue is full; retry after ${QUEUE_FULL_RETRY_SECONDS} s`, Code.Unavailable, { "retry-after": String(QUEUE_FULL_RETRY_SECONDS) }, undefined, cause);
}
