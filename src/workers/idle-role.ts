// What every worker does before its own loop exists: make sure what it will consume from is there, report
// itself up, and stop when asked. Each role's real work replaces the wait (see the role files).

import type { App } from "../app/app.ts";
import type { Role } from "../app/supervisor.ts";
import { untilAborted } from "../domain/backoff.ts";

/** Throws (so the supervisor retries with backoff) when the role's JetStream consumer is missing. */
export async function requireConsumer(app: App, stream: string, durable: string): Promise<void> {
  const nats = await app.nats();
  const name = nats.names.stream(stream);
  try {
    await nats.jsm.consumers.info(name, durable);
  } catch (error) {
    throw new Error(`JetStream consumer ${name}/${durable} is not there (${(error as Error).message}); run \`pug nats migrate\``);
  }
}

/** A role that binds its consumer and then only waits: the shape of every worker until its loop is written. */
export function consumerBoundRole(app: App, name: string, stream: string, durable: string): Role {
  return {
    name,
    async run(signal) {
      await requireConsumer(app, stream, durable);
      app.log.info("consumer bound", { role: name, stream, consumer: durable });
      await untilAborted(signal);
    },
  };
}
