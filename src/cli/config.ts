import { redactValue } from "../config/redact.ts";
import { type VariableName, variables } from "../config/variables.ts";
import { loadOrExit } from "./app-context.ts";
import { type Command, parseFlags } from "./command.ts";

export const configCommand: Command = {
  name: "config",
  summary: "print the effective configuration and where each value came from (secrets redacted)",
  usage: "pug config [--env-file FILE]",
  async run(args, globals) {
    parseFlags(args, {});
    const loaded = loadOrExit(globals);
    globals.out(`# env file: ${loaded.envFile ?? "none"}`);
    for (const key of Object.keys(variables) as VariableName[]) {
      const { text, source } = loaded.values[key];
      globals.out(`${key}=${redactValue(key, text)}  # ${source}`);
    }
    return 0;
  },
};
