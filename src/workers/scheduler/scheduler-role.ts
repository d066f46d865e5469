// `pug worker scheduler`: runs periodic jobs (croner), one at a time per job, and waits for running jobs on stop.
// Several schedulers may run: each scheduled time (slot) of a job is run by the one that claims it first.

import { Cron } from "croner";
import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { untilAborted } from "../../domain/backoff.ts";
import { scheduledSlot } from "../../domain/scheduler/slot.ts";
import { runInSlot, runnerName, type ScheduledJob } from "./scheduled-job.ts";
import { scheduledJobs } from "./scheduler-jobs.ts";

export function schedulerRole(app: App, jobs: ScheduledJob[] = scheduledJobs): Role {
  return {
    name: "scheduler",
    async run(signal) {
      const running = new Set<Promise<unknown>>();
      const runner = runnerName();
      const crons = jobs.map(
        (job) =>
          new Cron(job.pattern, { timezone: "UTC", protect: true }, async () => {
            const slot = scheduledSlot(job.pattern, new Date());
            // A failure to claim or record (Postgres down) is logged; the next slot tries again.
            const run = runInSlot(app, job, slot, runner).catch((error) =>
              app.log.error("job could not be claimed or recorded", { role: "scheduler", job: job.name, slot: slot.toISOString(), error }),
            );
            running.add(run);
            await run;
            running.delete(run);
          }),
      );
      app.log.info("scheduler started", { role: "scheduler", runner, jobs: jobs.map((j) => `${j.name} (${j.pattern})`) });
      await untilAborted(signal);
      for (const cron of crons) cron.stop();
      await Promise.all(running);
    },
  };
}
