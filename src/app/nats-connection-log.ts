// Every change of the NATS connection's state becomes one log line and a count in /metrics, so an operator
// sees when a process lost its server, which one it went to, and how long it was away.

import type { NatsConnectionEvent } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";

/** While the client keeps failing to reconnect, at most one "reconnecting" line per this interval. */
const RECONNECTING_LOG_INTERVAL_MS = 10_000;

export function natsConnectionReporter(log: Logger, metrics: Metrics, now: () => number = Date.now): (event: NatsConnectionEvent) => void {
  let disconnectedAt: number | undefined;
  let attempts = 0;
  let lastAttemptLogged = 0;

  return ({ event, server, error, detail }) => {
    metrics.natsConnectionEvents.inc({ event });
    const fields = { event, server, ...detail, ...(error ? { error } : {}) };
    switch (event) {
      case "disconnect":
        disconnectedAt = now();
        attempts = 0;
        lastAttemptLogged = 0;
        metrics.natsConnected.set(0);
        return log.warn("nats disconnected", fields);
      case "reconnect": {
        metrics.natsConnected.set(1);
        const downMs = disconnectedAt === undefined ? undefined : now() - disconnectedAt;
        disconnectedAt = undefined;
        return log.info("nats reconnected", { ...fields, attempts, down_ms: downMs });
      }
      case "reconnecting":
        attempts++;
        if (now() - lastAttemptLogged < RECONNECTING_LOG_INTERVAL_MS) return;
        lastAttemptLogged = now();
        return log.warn("nats reconnecting", { ...fields, attempts, down_ms: disconnectedAt === undefined ? undefined : now() - disconnectedAt });
      case "error":
        return log.error("nats connection error", fields);
      case "ldm":
        return log.warn("nats server entering lame duck mode; moving to another server", fields);
      case "stale_connection":
        return log.warn("nats connection stale: the server stopped answering pings", fields);
      case "slow_consumer":
        return log.warn("nats subscription is a slow consumer", fields);
      case "force_reconnect":
        return log.info("nats reconnect forced", fields);
      case "cluster_update":
        return log.info("nats cluster servers changed", fields);
      case "close":
        metrics.natsConnected.set(0);
        // Only ever on purpose (shutdown, or a one-shot command finishing).
        return log.debug("nats connection closed", fields);
    }
  };
}
