// `pug worker email`: sends queued mail over SMTP.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { requireConsumer, untilAborted } from "../idle-role.ts";

export function emailWorkerRole(app: App): Role {
  return {
    name: "email",
    async run(signal) {
      await requireConsumer(app, "email", "email-worker");
      app.log.info("consumer bound", { role: "email", stream: "email", consumer: "email-worker" });
      await untilAborted(signal);
    },
  };
}
