// `pug worker profile`: merges identities and profile traits.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { requireConsumer, untilAborted } from "../idle-role.ts";

export function profileWorkerRole(app: App): Role {
  return {
    name: "profile",
    async run(signal) {
      await requireConsumer(app, "profiles", "profile-worker");
      app.log.info("consumer bound", { role: "profile", stream: "profiles", consumer: "profile-worker" });
      await untilAborted(signal);
    },
  };
}
