// NATS JetStream: the durable queue between intake and the workers. Every stream and subject name carries a
// prefix from config, so two installations (or two test runs) can share one NATS server without touching each
// other's data.

import { connect, type NatsConnection, type Status } from "@nats-io/transport-node";
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { parseNatsServers } from "../domain/nats-servers.ts";

export interface NatsOptions {
  /** `NATS_URL`: one server or a comma-separated list, credentials inside the URLs. */
  url: string;
  prefix: string;
  name?: string;
  /** Called for every change of the connection's state (see `NatsConnectionEvent`). */
  onEvent?: (event: NatsConnectionEvent) => void;
}

/** A change of the connection's state, named as it is counted in metrics. */
export interface NatsConnectionEvent {
  event: "disconnect" | "reconnect" | "reconnecting" | "error" | "ldm" | "stale_connection" | "slow_consumer" | "force_reconnect" | "cluster_update" | "close";
  /** The server concerned (or, where the client names none, the one it was last connected to). */
  server: string;
  error?: Error;
  detail?: Record<string, unknown>;
}

export interface Nats {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: NatsNames;
  close(): Promise<void>;
}

export interface NatsNames {
  prefix: string;
  /** `events` → `pug_events`: stream names allow no dots. */
  stream(base: string): string;
  /** `events`, `ingest` → `pug.events.ingest`. */
  subject(...parts: string[]): string;
}

export function natsNames(prefix: string): NatsNames {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) {
    throw new Error(`NATS prefix must be letters, digits, '_' or '-' (it names streams and subjects), got '${prefix}'`);
  }
  return {
    prefix,
    stream: (base) => `${prefix}_${base}`,
    subject: (...parts) => [prefix, ...parts].join("."),
  };
}

export async function connectNats(options: NatsOptions): Promise<Nats> {
  const names = natsNames(options.prefix);
  const connection = await connect({
    ...parseNatsServers(options.url),
    name: options.name ?? "pug",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // A server that hangs without closing the socket (stalled, partitioned) is only noticed by unanswered pings;
    // the client's default (every 2 min, 2 missed) would leave intake stuck on it for over 4 minutes. And a
    // reconnect attempt that reaches such a server waits this long for its greeting (default 20 s) before the next.
    pingInterval: 5_000,
    maxPingOut: 2,
    timeout: 5_000,
  });
  if (options.onEvent) watchConnection(connection, options.onEvent);
  return {
    connection,
    js: jetstream(connection),
    jsm: await jetstreamManager(connection),
    names,
    close: () => connection.drain(),
  };
}

/**
 * JetStream answered that the stream (or, for `"consumer"`, the consumer or its stream) does not exist. Only this
 * means "missing": a timeout or a cluster without a leader says nothing about whether it exists.
 */
export function isJetStreamNotFound(error: unknown, what: "stream" | "consumer"): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  return error.code === JetStreamApiCodes.StreamNotFound || (what === "consumer" && error.code === JetStreamApiCodes.ConsumerNotFound);
}

function watchConnection(connection: NatsConnection, onEvent: (event: NatsConnectionEvent) => void): void {
  let lastServer = connection.getServer();
  void (async () => {
    for await (const status of connection.status()) {
      const event = connectionEvent(status, lastServer);
      if (!event) continue;
      if (event.event === "reconnect") lastServer = event.server;
      onEvent(event);
    }
  })();
}

function connectionEvent(status: Status, lastServer: string): NatsConnectionEvent | undefined {
  switch (status.type) {
    case "disconnect":
      return { event: "disconnect", server: status.server };
    case "reconnect":
      return { event: "reconnect", server: status.server };
    case "reconnecting":
      return { event: "reconnecting", server: lastServer };
    case "ldm":
      return { event: "ldm", server: status.server };
    case "error":
      return { event: "error", server: lastServer, error: status.error };
    case "staleConnection":
      return { event: "stale_connection", server: lastServer };
    case "slowConsumer":
      return { event: "slow_consumer", server: lastServer, detail: { subject: status.sub.getSubject(), pending: status.pending } };
    case "forceReconnect":
      return { event: "force_reconnect", server: lastServer };
    case "update":
      return { event: "cluster_update", server: lastServer, detail: { added: status.added ?? [], deleted: status.deleted ?? [] } };
    case "close":
      return { event: "close", server: lastServer };
    case "ping":
      // The client's own keep-alive, every couple of minutes: not a change of state (a missed answer becomes
      // "staleConnection").
      return undefined;
  }
}
