// Creates tomorrow's cookieless salt before midnight, so every server reads the same one from its first request
// of the day instead of racing to create it, and deletes salts older than yesterday (they would expire anyway;
// deleting them makes sure no visitor can be linked across more than a day).

import { deleteSalt, ensureSalt, saltDays, utcDay } from "../../../infra/cookieless-salt.ts";
import type { ScheduledJob } from "../scheduled-job.ts";

const DAY_MS = 86_400_000;

export const rotateCookielessSalt: ScheduledJob = {
  name: "rotate-cookieless-salt",
  pattern: "0 30 23 * * *",
  summary: "create tomorrow's cookieless salt and delete salts older than yesterday",
  async run(app) {
    const redis = app.redis();
    await redis.connect();
    const now = Date.now();
    const tomorrow = utcDay(now + DAY_MS);
    const yesterday = utcDay(now - DAY_MS);
    await ensureSalt(redis, tomorrow);
    const old = (await saltDays(redis)).filter((day) => /^\d{4}-\d{2}-\d{2}$/.test(day) && day < yesterday);
    for (const day of old) await deleteSalt(redis, day);
    return `salt of ${tomorrow} ready; deleted ${old.length} older salt(s)`;
  },
};
