import { ConfigError, loadConfig } from "../config/load.ts";
import { bootstrap } from "../app/app.ts";
import { createLogger } from "../logger.ts";
import { formatReport, runDoctor } from "../doctor/run-doctor.ts";
import { closeReporting } from "./app-context.ts";
import { type Command, parseFlags } from "./command.ts";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check every dependency, migration and setting; say how to fix what fails",
  usage: "pug doctor [--json] [--env-file FILE]",
  async run(args, globals) {
    const { values } = parseFlags(args, { json: { type: "boolean", default: false } });
    let loaded;
    try {
      loaded = loadConfig({ envFile: globals.envFile });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const checks = error.problems.map((problem) => ({ name: "configuration", status: "fail" as const, message: problem, fix: "correct the variable in the env file or environment" }));
      globals.out(values.json ? JSON.stringify({ ok: false, checks }) : formatReport(checks).join("\n"));
      return 1;
    }
    // Doctor reports problems itself; the clients' own error logs would only repeat them.
    const app = bootstrap(loaded.config, { log: createLogger({ level: "error", write: () => {} }), name: "pug doctor" });
    try {
      const checks = [{ name: "configuration", status: "ok" as const, figure: loaded.envFile ?? "defaults and environment" }, ...(await runDoctor(app))];
      const healthy = checks.every((c) => c.status !== "fail");
      globals.out(values.json ? JSON.stringify({ ok: healthy, checks }, null, 2) : formatReport(checks).join("\n"));
      return healthy ? 0 : 1;
    } finally {
      await closeReporting({ close: () => app.close(2_000) }, "store", globals);
    }
  },
};
