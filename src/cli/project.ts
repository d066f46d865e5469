import { createProject } from "../server/projects.ts";
import { revokeApiKey } from "../store/api-keys.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const projectCreateCommand: Command = {
  name: "project create",
  summary: "create a project and print its id with a public (browser) and a private (server) API key",
  usage: "pug project create NAME [--env-file FILE]",
  async run(args, globals) {
    const { positionals } = parseFlags(args, {}, 1);
    const name = positionals[0]?.trim();
    if (!name) throw new UsageError("the project needs a name");
    if (name.length > 200) throw new UsageError("a project name is at most 200 characters");
    const app = appFor(globals, "cli");
    try {
      const project = await createProject(app.postgres(), name);
      globals.out(`project:     ${name}`);
      globals.out(`project id:  ${project.projectId}`);
      globals.out(`public key:  ${project.publicKey}   (for the web SDK: init("${project.projectId}", { apiKey }))`);
      globals.out(`private key: ${project.privateKey}   (shown once; only its SHA-256 is kept)`);
      return 0;
    } catch (error) {
      throw new ExitError(1, `pug: could not create the project: ${(error as Error).message}`);
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};

export const apiKeyRevokeCommand: Command = {
  name: "apikey revoke",
  summary: "revoke an API key (it stops working within 5 seconds)",
  usage: "pug apikey revoke KEY [--env-file FILE]",
  async run(args, globals) {
    const { positionals } = parseFlags(args, {}, 1);
    const key = positionals[0];
    if (!key) throw new UsageError("which key?");
    const app = appFor(globals, "cli");
    try {
      const revoked = await revokeApiKey(app.postgres(), key);
      if (!revoked) throw new ExitError(1, "pug: no active key matches");
      globals.out("revoked");
      return 0;
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};
