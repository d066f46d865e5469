// `pug scheduler run <job>`: runs one scheduled job now, in a slot of its own (this instant), and prints the
// outcome; it is skipped while another run of the job (a scheduled one) is still going. --slot names a scheduled
// time instead: a slot another scheduler already ran is skipped too.

import { runInSlot } from "../workers/scheduler/scheduled-job.ts";
import { scheduledJobs } from "../workers/scheduler/scheduler-jobs.ts";
import { appFor, closeReporting } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

const jobNames = scheduledJobs.map((job) => job.name);

export const schedulerRunCommand: Command = {
  name: "scheduler run",
  summary: `run one scheduled job now: ${jobNames.join(", ")}`,
  usage: `pug scheduler run <${jobNames.join("|")}> [--slot ISO-TIME] [--env-file FILE]`,
  async run(args, globals) {
    const { positionals, values } = parseFlags(args, { slot: { type: "string" } }, 1);
    const name = positionals[0];
    if (!name) throw new UsageError(`which job? one of ${jobNames.join(", ")}`);
    const job = scheduledJobs.find((j) => j.name === name);
    if (!job) throw new UsageError(`unknown job '${name}' (jobs: ${jobNames.join(", ")})`);
    const slot = values.slot === undefined ? new Date() : new Date(values.slot);
    if (Number.isNaN(slot.getTime())) throw new UsageError(`--slot '${values.slot}' is not a time (e.g. 2026-01-31T23:30:00Z)`);
    const app = appFor(globals, "cli");
    try {
      const result = await runInSlot(app, job, slot);
      if (result.outcome === "skipped") {
        globals.out(`${job.name} ${slot.toISOString()}: skipped (${result.reason})`);
        return 0;
      }
      globals.out(`${job.name} ${slot.toISOString()}: ${result.outcome} in ${result.ms} ms: ${result.detail}`);
      return result.outcome === "ok" ? 0 : 1;
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};
