// Runs one store's migrations: reads its ledger, refuses to go on past an edited migration, applies what is
// pending in order, and reports each step.

import { type LedgerEntry, type Migration, type MigrationPlan, planMigrations } from "../domain/migrations/plan.ts";

export interface StoreMigrator {
  store: string;
  /** The ledger as it is; an absent ledger (never migrated) is empty. Must change nothing. */
  readLedger(): Promise<LedgerEntry[]>;
  /** Creates whatever the ledger and the migrations need around them (database, ledger table, …). */
  prepare(): Promise<void>;
  /** Applies one migration and records it in the ledger. */
  apply(migration: Migration): Promise<void>;
  /** Brings declared state in line after the files ran (NATS streams); returns a line per change. */
  reconcile?(dryRun: boolean): Promise<string[]>;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface MigrateOptions {
  dryRun: boolean;
  out: (line: string) => void;
}

export async function migrateStore(migrator: StoreMigrator, shipped: Migration[], options: MigrateOptions): Promise<MigrationPlan> {
  const { store } = migrator;
  const plan = planMigrations(shipped, await migrator.readLedger());
  refuseChanged(store, plan);
  for (const name of plan.unknown) {
    options.out(`${store}: warning: the ledger lists ${name}, which this pug does not ship (was the store migrated by a newer version?)`);
  }
  if (!options.dryRun) await migrator.prepare();
  if (plan.pending.length === 0) options.out(`${store}: no migrations pending (${plan.status.filter((s) => s.state === "applied").length} applied)`);
  for (const migration of plan.pending) {
    if (options.dryRun) {
      options.out(`${store}: would apply ${migration.name}`);
      continue;
    }
    const started = performance.now();
    options.out(`${store}: applying ${migration.name} …`);
    try {
      await migrator.apply(migration);
    } catch (error) {
      throw new MigrationError(`${store}: ${migration.name} failed: ${(error as Error).message}`);
    }
    options.out(`${store}: applied ${migration.name} in ${Math.round(performance.now() - started)} ms`);
  }
  if (migrator.reconcile) for (const line of await migrator.reconcile(options.dryRun)) options.out(`${store}: ${line}`);
  return plan;
}

export async function storeStatus(migrator: StoreMigrator, shipped: Migration[]): Promise<MigrationPlan> {
  return planMigrations(shipped, await migrator.readLedger());
}

function refuseChanged(store: string, plan: MigrationPlan): void {
  if (plan.changed.length === 0) return;
  const lines = plan.changed.map(
    (c) => `${store}: ${c.name} was edited after it was applied (recorded checksum ${c.recorded.slice(0, 12)}…, shipped ${c.shipped.slice(0, 12)}…)`,
  );
  throw new MigrationError(`${lines.join("\n")}\nApplied migrations must never change: restore the original file and put the change in a new migration.`);
}
