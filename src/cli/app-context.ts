// Loads the configuration for a command and builds the app, or explains in one go why it cannot.

import { bootstrap, type App } from "../app/app.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { createLogger, type LogFields } from "../logger.ts";
import type { Globals } from "./command.ts";

export class ExitError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function loadOrExit(globals: Globals, printWarnings = true): LoadedConfig {
  try {
    const loaded = loadConfig({ envFile: globals.envFile });
    if (printWarnings) for (const warning of loaded.warnings) globals.err(`pug: warning: ${warning}`);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) throw new ExitError(1, `pug: ${error.message}`);
    throw error;
  }
}

/** `runsRoles`: the process's output is JSON lines only, so configuration warnings are logged rather than printed. */
export function appFor(globals: Globals, role: string, runsRoles = false, fields: LogFields = {}): App {
  const { config, warnings } = loadOrExit(globals, !runsRoles);
  const log = createLogger({ level: config.logLevel, fields: { role, ...fields } });
  if (runsRoles) for (const warning of warnings) log.warn("configuration warning", { warning });
  return bootstrap(config, { log, name: `pug ${role}` });
}

/**
 * Closes a one-shot command's connections. A command that ran has already said what it did; a connection that
 * fails to close is reported on stderr, not thrown over the command's own result or error.
 */
export async function closeReporting(closable: { close(): Promise<unknown> }, what: string, globals: Globals): Promise<void> {
  try {
    await closable.close();
  } catch (error) {
    globals.err(`pug: warning: could not close the ${what} connections: ${(error as Error).message}`);
  }
}
