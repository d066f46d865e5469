import { runRoles } from "../app/run-roles.ts";
import { serverRole } from "../server/server-role.ts";
import { appFor } from "./app-context.ts";
import { type Command, parseFlags } from "./command.ts";

export const serverCommand: Command = {
  name: "server",
  summary: "serve the HTTP and Connect API (health on the same port, metrics on PUG_SERVER_ADMIN_ADDR)",
  usage: "pug server [--env-file FILE]",
  async run(args, globals) {
    parseFlags(args, {});
    const app = appFor(globals, "server", true);
    return await runRoles(app, [serverRole(app, { sharePort: app.config.server.sharePort })], { admin: app.config.serverAdmin });
  },
};
