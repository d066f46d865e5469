// `pug migrate`, `pug postgres migrate`, `pug clickhouse migrate`, `pug nats migrate`: each with `status` and
// `--dry-run`.

import { MigrationError } from "../migrate/migrator.ts";
import { stores, type Store } from "../migrate/embedded.ts";
import { migrationStatus, runMigrations } from "../migrate/run-migrations.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, type Globals, parseFlags, UsageError } from "./command.ts";

function migrateCommand(name: string, targets: Store[]): Command {
  return {
    name,
    summary: targets.length > 1 ? "apply pending migrations to Postgres, ClickHouse and NATS" : `apply pending ${targets[0]} migrations`,
    usage: `pug ${name} [status] [--dry-run] [--env-file FILE]`,
    async run(args, globals) {
      const { values, positionals } = parseFlags(args, { "dry-run": { type: "boolean", default: false } }, 1);
      const action = positionals[0];
      if (action !== undefined && action !== "status") throw new UsageError(`unknown action '${action}' (the only one is 'status')`);
      const app = appFor(globals, "migrate");
      try {
        if (action === "status") return await printStatus(app, targets, globals);
        await runMigrations(app, targets, { dryRun: values["dry-run"]!, out: globals.out });
        return 0;
      } catch (error) {
        if (error instanceof MigrationError) throw new ExitError(1, `pug: ${error.message}`);
        throw new ExitError(1, `pug: migrate failed: ${(error as Error).message}`);
      } finally {
        await closeReporting(app, "store", globals);
      }
    },
  };
}

async function printStatus(app: Parameters<typeof migrationStatus>[0], targets: Store[], globals: Globals): Promise<number> {
  let healthy = true;
  for (const store of targets) {
    const plan = await migrationStatus(app, store);
    for (const entry of plan.status) {
      const when = entry.appliedAt ? `  ${entry.appliedAt.toISOString()}` : "";
      globals.out(`${store.padEnd(10)} ${entry.state.padEnd(8)} ${entry.name}${when}`);
    }
    if (plan.changed.length > 0) healthy = false;
  }
  return healthy ? 0 : 1;
}

export const migrateCommands: Command[] = [
  migrateCommand("migrate", stores),
  ...stores.map((store) => migrateCommand(`${store} migrate`, [store])),
];
