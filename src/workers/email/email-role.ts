// `pug worker email`: sends queued mail over SMTP.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { consumerBoundRole } from "../idle-role.ts";

export function emailWorkerRole(app: App): Role {
  return consumerBoundRole(app, "email", "email", "email-worker");
}
