import { runRoles } from "../app/run-roles.ts";
import { boundUrl } from "../server/bound-url.ts";
import { serverRole } from "../server/server-role.ts";
import { workerRoleNames, workerRoles } from "../workers/worker-roles.ts";
import { appFor } from "./app-context.ts";
import { type Command, parseFlags } from "./command.ts";

export const devCommand: Command = {
  name: "dev",
  summary: "run the server and every worker in one supervised process",
  usage: "pug dev [--env-file FILE]",
  async run(args, globals) {
    parseFlags(args, {});
    const app = appFor(globals, "dev", true);
    const roles = [
      serverRole(app, (url) => globals.out(`pug dev: listening on ${url} (health: ${url}/readyz, metrics: ${metricsUrl(app.config.serverAdmin)})`)),
      ...workerRoleNames.map((name) => workerRoles[name](app)),
    ];
    return await runRoles(app, roles, { admin: app.config.serverAdmin });
  },
};

const metricsUrl = (admin: { host: string; port: number } | undefined) => (admin ? `${boundUrl({ hostname: admin.host, port: admin.port })}/metrics` : "off (PUG_SERVER_ADMIN_ADDR)");
