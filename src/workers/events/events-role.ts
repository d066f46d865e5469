// `pug worker events`: reads accepted events from JetStream, enriches them (src/domain/ingest/pipeline.ts) and
// writes them to ClickHouse exactly once through the stream → table writer (src/pipeline/table-writer.ts), one
// writer per events partition this instance holds the lease of (partition-leases.ts).

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { MAX_EVENT_PARTITIONS, partitionStream } from "../../domain/ingest/event-partitions.ts";
import { eventPartitions } from "../../infra/event-partition-streams.ts";
import { loadGeoIp } from "../../infra/geoip.ts";
import { createPostgres } from "../../infra/postgres.ts";
import { tryLeadership } from "../../pipeline/leadership.ts";
import { HeldBudget } from "../../pipeline/held-budget.ts";
import { runLockedTableWriter, writerLockName } from "../../pipeline/table-writer.ts";
import { requireConsumer } from "../idle-role.ts";
import { cookielessSalt } from "../../infra/cookieless-salt.ts";
import { erasureTombstones } from "../../store/erasure-tombstones.ts";
import { EVENTS_CONSUMER, eventsSink, recentRequests } from "./events-sink.ts";
import { workerRegistry } from "./events-worker-registry.ts";
import { runPartitionLeases } from "./partition-leases.ts";
import { userAgentParser } from "./user-agent.ts";

export function eventsWorkerRole(app: App): Role {
  const userAgent = userAgentParser();
  let geo: Promise<Awaited<ReturnType<typeof loadGeoIp>>> | undefined;
  const salts = cookielessSalt(app.redis(), app.log, () => app.metrics.redisFailOpen.inc({ purpose: "cookieless_salt" }));
  const tombstones = erasureTombstones(app.postgres());
  const partitions = eventPartitions(app.nats);
  return {
    name: "events",
    async run(signal) {
      geo ??= loadGeoIp(app.config.geoipCityDb).catch((error) => {
        geo = undefined;
        throw error;
      });
      const lookup = await geo;
      const nats = await app.nats();
      const count = await partitions.count();
      // Checked before any lock is taken, as a standby did: a writer that gets its lock starts writing at once.
      for (let index = 0; index < count; index++) await requireConsumer(app, partitionStream(index), EVENTS_CONSUMER);
      app.log.info("consumer bound", { role: "events", partitions: count, consumer: EVENTS_CONSUMER });
      // The partitions' writers together hold what one writer may (see held-budget.ts), however many this holds.
      const { batchMax, batchMaxBytes } = app.config.eventsWorker;
      const budget = new HeldBudget(2 * batchMax, 2 * batchMaxBytes);
      const recent = recentRequests();
      // Each partition held keeps a connection (its lock, and its ledger written on it) for as long as it is held,
      // and a lone worker holds them all: those come from a pool of their own, beside the process's pool of 10,
      // opened as partitions are taken (up to the most there may be: an older installation gains its partitions
      // on a migrate while this runs).
      const locks = createPostgres({ url: app.config.postgres.url, maxConnections: MAX_EVENT_PARTITIONS });
      try {
        await runPartitionLeases(app, workerRegistry(app.postgres()), {
          partitions: () => partitions.count(),
          tryLock: (index) => tryLeadership(locks, writerLockName({ consumer: EVENTS_CONSUMER }, nats.names.stream(partitionStream(index))), app.log),
          // Each partition's writer has the whole batch limits (splitting them by the share held made a partition
          // with most of the traffic write in small, slow inserts); the budget bounds what they hold together.
          async write(index, conn, stop, handOver) {
            await runLockedTableWriter(app, eventsSink(app, { userAgent, geo: lookup }, salts, tombstones, partitionStream(index), budget, recent), conn, stop, handOver);
          },
        }, signal);
      } finally {
        await locks.end({ timeout: 5 });
      }
    },
  };
}
