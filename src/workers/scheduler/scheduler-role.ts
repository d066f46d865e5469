// `pug worker scheduler`: runs periodic jobs (croner), one at a time per job, and waits for running jobs on stop.

import { Cron } from "croner";
import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { untilAborted } from "../../domain/backoff.ts";

export interface ScheduledJob {
  name: string;
  /** Cron pattern with seconds, in UTC. */
  pattern: string;
  run(app: App): Promise<void>;
}

/** The jobs later features register (salt rotation, retention, …). */
export const scheduledJobs: ScheduledJob[] = [];

export function schedulerRole(app: App, jobs: ScheduledJob[] = scheduledJobs): Role {
  return {
    name: "scheduler",
    async run(signal) {
      const running = new Set<Promise<void>>();
      const crons = jobs.map(
        (job) =>
          new Cron(job.pattern, { name: job.name, timezone: "UTC", protect: true }, async () => {
            const started = performance.now();
            const run = job.run(app).then(
              () => app.log.info("job done", { role: "scheduler", job: job.name, ms: Math.round(performance.now() - started) }),
              (error) => app.log.error("job failed", { role: "scheduler", job: job.name, error }),
            );
            running.add(run);
            await run;
            running.delete(run);
          }),
      );
      app.log.info("scheduler started", { role: "scheduler", jobs: jobs.map((j) => j.name) });
      await untilAborted(signal);
      for (const cron of crons) cron.stop();
      await Promise.all(running);
    },
  };
}
