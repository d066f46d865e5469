// What the SDK services' intake runs on, built once per server run for the Connect services and the fast path alike.

import type { App } from "../../app/app.ts";
import { eventPartitions } from "../../infra/event-partition-streams.ts";
import { clientFactsSource } from "./client-facts-source.ts";
import type { IntakeDeps } from "./events-intake.ts";
import { groupCommit } from "./group-commit.ts";
import { queueRoom } from "./queue-room.ts";
import { rateLimiter } from "./rate-limiter.ts";

/** Background work (stream sizes) runs until `signal` aborts. */
export function intakeDeps(app: App, signal: AbortSignal): IntakeDeps {
  const partitions = eventPartitions(app.nats);
  return {
    limiter: rateLimiter(app.redis(), app.metrics, app.log),
    room: queueRoom(app.nats, async () => [...(await partitions.streams()), "profiles"], app.log, signal),
    nats: app.nats,
    metrics: app.metrics,
    log: app.log,
    limits: app.config.intake,
    clientFacts: clientFactsSource(app),
    partitions: partitions.count,
    groups: groupCommit(app.nats),
  };
}
