// `pug worker events`: enriches events from JetStream and writes them to ClickHouse.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { consumerBoundRole } from "../idle-role.ts";

export function eventsWorkerRole(app: App): Role {
  return consumerBoundRole(app, "events", "events", "events-worker");
}
