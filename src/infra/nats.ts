// NATS JetStream: the durable queue between intake and the workers. Every stream and subject name carries a
// prefix from config, so two installations (or two test runs) can share one NATS server without touching each
// other's data.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";

export interface NatsOptions {
  url: string;
  prefix: string;
  name?: string;
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
    servers: options.url,
    name: options.name ?? "pug",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  return {
    connection,
    js: jetstream(connection),
    jsm: await jetstreamManager(connection),
    names,
    close: () => connection.drain(),
  };
}
