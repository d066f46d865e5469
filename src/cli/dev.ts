import type { App } from "../app/app.ts";
import { runChildren } from "../app/child-run.ts";
import { childStopRequested, tellParent } from "../app/child-side.ts";
import { runRoles } from "../app/run-roles.ts";
import type { Role } from "../app/supervisor.ts";
import { devProcessPlan } from "../domain/dev-processes.ts";
import { boundUrl } from "../server/bound-url.ts";
import { serverRole } from "../server/server-role.ts";
import { workerRoleNames, workerRoles, type WorkerRoleName } from "../workers/worker-roles.ts";
import { appFor } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const devCommand: Command = {
  name: "dev",
  summary: "run the server and every worker as one supervised unit of processes (PUG_DEV_PROCESSES)",
  usage: "pug dev [--env-file FILE]",
  async run(args, globals) {
    // --child and --roles: how `pug dev` starts its own child processes; not for people.
    const { values } = parseFlags(args, { child: { type: "string" }, roles: { type: "string" } });
    if (values.child !== undefined) return await runChild(values.child, values.roles ?? "", globals);
    const app = appFor(globals, "dev", true);
    const announce = (url: string) => globals.out(`pug dev: listening on ${url} (health: ${url}/readyz, metrics: ${metricsUrl(app.config.serverAdmin)})`);
    const plan = devProcessPlan(app.config.devProcesses, navigator.hardwareConcurrency);
    if (!plan) return await runRoles(app, rolesOf(app, ["server", ...workerRoleNames], announce), { admin: app.config.serverAdmin });
    let announced = false;
    return await runChildren(app, plan, {
      envFile: globals.envFile,
      admin: app.config.serverAdmin,
      onMessage(_process, message) {
        if (message.type !== "listening" || announced) return;
        announced = true;
        announce(message.url);
      },
    });
  },
};

async function runChild(name: string, roleList: string, globals: Parameters<Command["run"]>[1]): Promise<number> {
  const names = roleList.split(",").filter(Boolean);
  const unknown = names.filter((n) => n !== "server" && !(n in workerRoles));
  if (names.length === 0 || unknown.length > 0) throw new UsageError(`--roles: a comma-separated list of server, ${workerRoleNames.join(", ")}`);
  const app = appFor(globals, names.length === 1 ? names[0]! : "dev", true, { process: name });
  const roles = rolesOf(app, names, (url) => tellParent({ type: "listening", url }));
  return await runRoles(app, roles, { admin: undefined, stopWhen: childStopRequested(app), onStarted: () => tellParent({ type: "ready" }) });
}

function rolesOf(app: App, names: string[], onListening: (url: string) => void): Role[] {
  return names.map((name) => (name === "server" ? serverRole(app, { onListening, sharePort: true }) : workerRoles[name as WorkerRoleName](app)));
}

const metricsUrl = (admin: { host: string; port: number } | undefined) => (admin ? `${boundUrl({ hostname: admin.host, port: admin.port })}/metrics` : "off (PUG_SERVER_ADMIN_ADDR)");
