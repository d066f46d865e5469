// What every CLI command is: a name, its usage text, and a run function that parses its own flags.

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

export interface Globals {
  envFile: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  /** As typed: `server`, `worker`, `postgres migrate`, … */
  name: string;
  summary: string;
  usage: string;
  run(args: string[], globals: Globals): Promise<number>;
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function parseFlags<T extends ParseArgsOptionsConfig>(args: string[], options: T, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: maxPositionals > 0 });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/, ""));
  }
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  return parsed;
}
