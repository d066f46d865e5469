// `pug worker events`: reads accepted events from JetStream, enriches them (src/domain/ingest/pipeline.ts) and
// writes them to ClickHouse exactly once through the stream → table writer (src/pipeline/table-writer.ts).

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { loadGeoIp } from "../../infra/geoip.ts";
import { runTableWriter } from "../../pipeline/table-writer.ts";
import { requireConsumer } from "../idle-role.ts";
import { cookielessSalt } from "../../infra/cookieless-salt.ts";
import { erasureTombstones } from "../../store/erasure-tombstones.ts";
import { EVENTS_CONSUMER, EVENTS_STREAM, eventsSink } from "./events-sink.ts";
import { userAgentParser } from "./user-agent.ts";

export function eventsWorkerRole(app: App): Role {
  const userAgent = userAgentParser();
  let geo: Promise<Awaited<ReturnType<typeof loadGeoIp>>> | undefined;
  const salts = cookielessSalt(app.redis(), app.log, () => app.metrics.redisFailOpen.inc({ purpose: "cookieless_salt" }));
  const tombstones = erasureTombstones(app.postgres());
  return {
    name: "events",
    async run(signal) {
      geo ??= loadGeoIp(app.config.geoipCityDb).catch((error) => {
        geo = undefined;
        throw error;
      });
      const lookup = await geo;
      await requireConsumer(app, EVENTS_STREAM, EVENTS_CONSUMER);
      app.log.info("consumer bound", { role: "events", stream: EVENTS_STREAM, consumer: EVENTS_CONSUMER });
      await runTableWriter(app, eventsSink(app, { userAgent, geo: lookup }, salts, tombstones), signal);
    },
  };
}
