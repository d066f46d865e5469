import type { App } from "../app/app.ts";
import type { Role } from "../app/supervisor.ts";
import { emailWorkerRole } from "./email/email-role.ts";
import { eventsWorkerRole } from "./events/events-role.ts";
import { profileWorkerRole } from "./profile/profile-role.ts";
import { schedulerRole } from "./scheduler/scheduler-role.ts";

export const workerRoles = {
  events: eventsWorkerRole,
  profile: profileWorkerRole,
  email: emailWorkerRole,
  scheduler: schedulerRole,
} satisfies Record<string, (app: App) => Role>;

export type WorkerRoleName = keyof typeof workerRoles;
export const workerRoleNames = Object.keys(workerRoles) as WorkerRoleName[];

/** Added to PUG_WORKER_HEALTH_ADDR's port so that every role's health listener has a port of its own. */
export const healthPortOffset: Record<WorkerRoleName, number> = { events: 0, profile: 1, email: 2, scheduler: 3 };
