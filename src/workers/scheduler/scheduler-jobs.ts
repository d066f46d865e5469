// Every job the scheduler runs, with when (cron with seconds, UTC). The list is the documentation.

import { enforceRetention } from "./jobs/enforce-retention.ts";
import { expireTokens } from "./jobs/expire-tokens.ts";
import { purgeProjects } from "./jobs/purge-projects.ts";
import { rotateCookielessSalt } from "./jobs/rotate-cookieless-salt.ts";
import { usageRollup } from "./jobs/usage-rollup.ts";
import type { ScheduledJob } from "./scheduled-job.ts";

export const scheduledJobs: ScheduledJob[] = [
  expireTokens, // every 5 minutes
  usageRollup, // every 10 minutes
  purgeProjects, // hourly, at :15
  enforceRetention, // daily, 02:00
  rotateCookielessSalt, // daily, 23:30
];
