// Fills the gauges that describe the systems around Pug (stream fill, consumer lag, ClickHouse disk) just before
// a scrape.

import type { App } from "./app.ts";

export async function refreshSystemGauges(app: App, timeoutMs = 1_000): Promise<void> {
  await Promise.race([Promise.allSettled([streamsAndConsumers(app), clickhouseDisk(app)]), Bun.sleep(timeoutMs)]);
}

async function streamsAndConsumers(app: App): Promise<void> {
  const nats = await app.nats();
  for await (const stream of nats.jsm.streams.list()) {
    if (!stream.config.name.startsWith(nats.names.prefix + "_")) continue;
    const labels = { stream: stream.config.name };
    app.metrics.streamBytes.set(labels, stream.state.bytes);
    app.metrics.streamMaxBytes.set(labels, stream.config.max_bytes);
    app.metrics.streamMessages.set(labels, stream.state.messages);
    for await (const consumer of nats.jsm.consumers.list(stream.config.name)) {
      app.metrics.consumerPending.set({ stream: stream.config.name, consumer: consumer.name }, consumer.num_pending + consumer.num_ack_pending);
    }
  }
}

async function clickhouseDisk(app: App): Promise<void> {
  const result = await app.clickhouse().query({ query: "SELECT name, free_space FROM system.disks", format: "JSONEachRow" });
  for (const disk of await result.json<{ name: string; free_space: string }>()) {
    app.metrics.clickhouseDiskFree.set({ disk: disk.name }, Number(disk.free_space));
  }
}
