// `pug seed`: realistic traffic for a project, for demos, tests and benchmarks (src/seed/).

import { isUuid } from "../domain/uuid.ts";
import { createClickHouse } from "../infra/clickhouse.ts";
import { insertTraffic } from "../seed/bulk-events.ts";
import { progressBar } from "../seed/progress.ts";
import { insertPeople } from "../seed/seed-people.ts";
import { defaultEndMs, MAX_SEED, seedPlan } from "../seed/seed-plan.ts";
import { sendTraffic } from "../seed/through-api.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

/** The intake drops events older than 30 days; the window must end before now, so a day less. */
const MAX_API_DAYS = 29;
/**
 * A bulk statement answers only when done (a few seconds alone, far longer on a busy server), so seeding uses a
 * ClickHouse client of its own, configured like the app's but with a longer wait than the app's 30 s.
 */
const BULK_REQUEST_TIMEOUT_MS = 600_000;

export const seedCommand: Command = {
  name: "seed",
  summary: "generate realistic traffic for a project (fast bulk path into ClickHouse and Postgres, or --through-api)",
  usage: "pug seed --project ID --events N [--days D] [--seed S] [--end TIME] [--through-api --url URL --key PUBLIC_KEY] [--env-file FILE]",
  async run(args, globals) {
    const { values } = parseFlags(args, {
      project: { type: "string" },
      events: { type: "string" },
      days: { type: "string" },
      seed: { type: "string", default: "1" },
      end: { type: "string" },
      "through-api": { type: "boolean", default: false },
      url: { type: "string" },
      key: { type: "string" },
    });
    const throughApi = values["through-api"];
    const projectId = values.project ?? "";
    if (!isUuid(projectId)) throw new UsageError("--project: the project's id (a UUID, as `pug project create` prints it)");
    const events = wholeNumber("--events", values.events, 1, 1e10);
    const days = wholeNumber("--days", values.days ?? String(throughApi ? 7 : 30), 1, throughApi ? MAX_API_DAYS : 3650);
    const seed = wholeNumber("--seed", values.seed, 0, MAX_SEED - 1);
    const endMs = values.end === undefined ? defaultEndMs() : Date.parse(values.end);
    if (!Number.isFinite(endMs)) throw new UsageError(`--end: not a time: '${values.end}' (e.g. 2026-01-31T00:00:00Z)`);
    if (throughApi && (!values.url || !values.key)) throw new UsageError("--through-api needs --url (the server, e.g. http://127.0.0.1:8080) and --key (the project's public key)");
    if (!throughApi && (values.url || values.key)) throw new UsageError("--url and --key go with --through-api");

    const app = appFor(globals, "cli");
    const ch = createClickHouse({ url: app.config.clickhouse.url, database: app.config.clickhouse.database, requestTimeoutMs: BULK_REQUEST_TIMEOUT_MS });
    try {
      const [project] = await app.postgres()<{ name: string }[]>`SELECT name FROM projects WHERE id = ${projectId}`;
      if (!project) throw new ExitError(1, `pug seed: no project ${projectId}; create one with \`pug project create NAME\``);
      const plan = seedPlan({ projectId, events, days, seed, endMs });
      const write = (text: string) => process.stderr.write(text);
      const started = performance.now();
      const bar = progressBar("events", events, write);
      if (throughApi) {
        const { identified } = await sendTraffic(ch, { baseUrl: values.url!.replace(/\/$/, ""), apiKey: values.key! }, plan, (done) => bar.update(done));
        bar.finish();
        globals.out(`sent ${events} events and ${identified} identify calls to ${values.url} for project '${project.name}' in ${seconds(started)} s`);
        return 0;
      }
      await insertTraffic(ch, plan, (done) => bar.update(done));
      bar.finish();
      const eventSeconds = seconds(started);
      const people = progressBar("people", 0, write);
      const created = await insertPeople(app.postgres(), ch, plan, (done, total) => people.update(done, total));
      people.finish();
      globals.out(`seeded ${events} events (${eventSeconds} s, ${Math.round(events / Number(eventSeconds))} events/s) and ${created} people with their anonymous ids for project '${project.name}' in ${seconds(started)} s`);
      return 0;
    } finally {
      await closeReporting(ch, "ClickHouse", globals);
      await closeReporting(app, "store", globals);
    }
  },
};

function wholeNumber(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined) throw new UsageError(`${flag} is required`);
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${flag}: a whole number from ${min} to ${max}, got '${text}'`);
  return value;
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
