// `pug worker profile`: merges identities and profile traits.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { consumerBoundRole } from "../idle-role.ts";

export function profileWorkerRole(app: App): Role {
  return consumerBoundRole(app, "profile", "profiles", "profile-worker");
}
