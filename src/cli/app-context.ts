// Loads the configuration for a command and builds the app, or explains in one go why it cannot.

import { bootstrap, type App } from "../app/app.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { createLogger } from "../logger.ts";
import type { Globals } from "./command.ts";

export class ExitError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function loadOrExit(globals: Globals): LoadedConfig {
  try {
    const loaded = loadConfig({ envFile: globals.envFile });
    for (const warning of loaded.warnings) globals.err(`pug: warning: ${warning}`);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) throw new ExitError(1, `pug: ${error.message}`);
    throw error;
  }
}

export function appFor(globals: Globals, role: string): App {
  const { config } = loadOrExit(globals);
  return bootstrap(config, { log: createLogger({ level: config.logLevel, fields: { role } }), name: `pug ${role}` });
}
