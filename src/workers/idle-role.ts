// What every consuming worker checks before its own loop starts: that what it will consume from is there.

import type { App } from "../app/app.ts";

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
