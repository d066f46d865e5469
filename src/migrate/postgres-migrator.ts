import type { LedgerEntry, Migration } from "../domain/migrations/plan.ts";
import type { Sql } from "../infra/postgres.ts";
import type { StoreMigrator } from "./migrator.ts";

const LEDGER = "pug_schema_migrations";

export function postgresMigrator(sql: Sql): StoreMigrator {
  return {
    store: "postgres",
    async readLedger(): Promise<LedgerEntry[]> {
      const [exists] = await sql<{ present: boolean }[]>`SELECT to_regclass(${LEDGER}) IS NOT NULL AS present`;
      if (!exists?.present) return [];
      const rows = await sql<{ name: string; checksum: string; applied_at: Date }[]>`
        SELECT name, checksum, applied_at FROM ${sql(LEDGER)} ORDER BY name`;
      return rows.map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
    },
    async prepare() {
      await sql`CREATE TABLE IF NOT EXISTS ${sql(LEDGER)} (
        name       text PRIMARY KEY,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    },
    async apply(migration: Migration) {
      // The file and its ledger row commit together, or neither does.
      await sql.begin(async (tx) => {
        await tx.unsafe(migration.text).simple();
        await tx`INSERT INTO ${sql(LEDGER)} (name, checksum) VALUES (${migration.name}, ${migration.checksum})`;
      });
    },
  };
}
