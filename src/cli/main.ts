// The `pug` command line: finds the command, hands it its arguments, and turns failures into exit codes
// (0 done, 1 failed, 2 called wrongly).

import { ExitError } from "./app-context.ts";
import { type Command, type Globals, UsageError } from "./command.ts";
import { configCommand } from "./config.ts";
import { devCommand } from "./dev.ts";
import { doctorCommand } from "./doctor.ts";
import { emailPreviewCommand, emailReplayDlqCommand } from "./email.ts";
import { eventsReplayDlqCommand } from "./events.ts";
import { loginLinkCommand } from "./login-link.ts";
import { migrateCommands } from "./migrate.ts";
import { apiKeyRevokeCommand, projectCreateCommand } from "./project.ts";
import { schedulerRunCommand } from "./scheduler.ts";
import { seedCommand } from "./seed.ts";
import { serverCommand } from "./server.ts";
import { systemdCommand } from "./systemd.ts";
import { versionCommand } from "./version.ts";
import { workerCommand } from "./worker.ts";

export const commands: Command[] = [
  serverCommand,
  workerCommand,
  devCommand,
  ...migrateCommands,
  doctorCommand,
  projectCreateCommand,
  apiKeyRevokeCommand,
  loginLinkCommand,
  schedulerRunCommand,
  seedCommand,
  emailPreviewCommand,
  emailReplayDlqCommand,
  eventsReplayDlqCommand,
  configCommand,
  systemdCommand,
  versionCommand,
];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: pug <command> [options]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "every command takes --env-file FILE (default: $PUG_ENV_FILE, else /etc/pug/pug.env if present) and --help",
  ].join("\n");
}

export async function main(argv: string[], io: Pick<Globals, "out" | "err"> = defaultIo): Promise<number> {
  let args = [...argv];
  let envFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--env-file" || arg.startsWith("--env-file=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[i + 1];
      if (!value) return fail(io, "--env-file needs a file name", usage());
      envFile = value;
      args.splice(i, arg.includes("=") ? 1 : 2);
      i--;
    }
  }

  if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    io.out(usage());
    return args.length === 0 ? 2 : 0;
  }

  const command = commands.find((c) => c.name === args.slice(0, c.name.split(" ").length).join(" "));
  if (!command) {
    const known = commands.find((c) => c.name.split(" ")[0] === args[0]);
    return fail(io, known ? `unknown command '${args.slice(0, 2).join(" ")}' (did you mean '${known.name}'?)` : `unknown command '${args[0]}'`, usage());
  }
  const rest = args.slice(command.name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }

  try {
    return await command.run(rest, { envFile, ...io });
  } catch (error) {
    if (error instanceof UsageError) return fail(io, error.message, `usage: ${command.usage}`);
    if (error instanceof ExitError) {
      io.err(error.message);
      return error.code;
    }
    io.err(`pug ${command.name}: ${(error as Error).stack ?? error}`);
    return 1;
  }
}

function fail(io: Pick<Globals, "err">, message: string, usageText: string): number {
  io.err(`pug: ${message}\n${usageText}`);
  return 2;
}

const defaultIo = {
  out: (line: string) => process.stdout.write(line + "\n"),
  err: (line: string) => process.stderr.write(line + "\n"),
};
