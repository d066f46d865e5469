// `pug worker events`: enriches events from JetStream and writes them to ClickHouse.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { requireConsumer, untilAborted } from "../idle-role.ts";

export function eventsWorkerRole(app: App): Role {
  return {
    name: "events",
    async run(signal) {
      await requireConsumer(app, "events", "events-worker");
      app.log.info("consumer bound", { role: "events", stream: "events", consumer: "events-worker" });
      await untilAborted(signal);
    },
  };
}
