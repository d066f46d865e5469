import { runRoles } from "../app/run-roles.ts";
import { healthPortOffset, workerRoleNames, workerRoles, type WorkerRoleName } from "../workers/worker-roles.ts";
import { appFor } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const workerCommand: Command = {
  name: "worker",
  summary: `run one worker role: ${workerRoleNames.join(", ")} (health on PUG_WORKER_HEALTH_ADDR)`,
  usage: `pug worker <${workerRoleNames.join("|")}> [--env-file FILE]`,
  async run(args, globals) {
    const { positionals } = parseFlags(args, {}, 1);
    const role = positionals[0];
    if (!role) throw new UsageError(`which worker? one of ${workerRoleNames.join(", ")}`);
    if (!(role in workerRoles)) throw new UsageError(`unknown worker '${role}' (workers: ${workerRoleNames.join(", ")})`);
    const name = role as WorkerRoleName;
    const app = appFor(globals, name, true);
    const health = app.config.workerHealth;
    if (health) app.config.workerHealth = { ...health, port: health.port === 0 ? 0 : health.port + healthPortOffset[name] };
    return await runRoles(app, [workerRoles[name](app)], { admin: app.config.workerHealth });
  },
};
