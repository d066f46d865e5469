import type { ClickHouseClient } from "@clickhouse/client";
import { renderStatement } from "../domain/migrations/clickhouse-render.ts";
import type { LedgerEntry, Migration } from "../domain/migrations/plan.ts";
import { splitStatements } from "../domain/sql/statements.ts";
import type { StoreMigrator } from "./migrator.ts";

const LEDGER = "pug_schema_migrations";

export interface ClickHouseMigratorOptions {
  /** A client on this installation's database. */
  client: ClickHouseClient;
  /** A client on `default`, to create the database. */
  admin: ClickHouseClient;
  database: string;
  cluster: string | undefined;
}

export function clickhouseMigrator(options: ClickHouseMigratorOptions): StoreMigrator {
  const { client, admin, database, cluster } = options;
  const target = { database, cluster };
  const run = async (statement: string) => {
    for (const sql of renderStatement(statement, target)) await client.command({ query: sql });
  };

  return {
    store: "clickhouse",
    async readLedger(): Promise<LedgerEntry[]> {
      const present = await admin.query({
        query: "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}",
        query_params: { db: database, table: LEDGER },
        format: "JSONEachRow",
      });
      const [row] = await present.json<{ n: string }>();
      if (row?.n === "0") return [];
      const result = await client.query({
        query: `SELECT name, checksum, applied_at FROM ${LEDGER} FINAL ORDER BY name`,
        format: "JSONEachRow",
      });
      const rows = await result.json<{ name: string; checksum: string; applied_at: string }>();
      return rows.map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: new Date(r.applied_at.replace(" ", "T") + "Z") }));
    },
    async prepare() {
      const onCluster = cluster ? ` ON CLUSTER '${cluster}'` : "";
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`${onCluster}` });
      await run(`-- sharding_key: cityHash64(name)
        CREATE TABLE IF NOT EXISTS ${LEDGER} (name String, checksum String, applied_at DateTime64(3, 'UTC'))
        ENGINE = ReplacingMergeTree(applied_at) ORDER BY name`);
    },
    async apply(migration: Migration) {
      // ClickHouse has no transactional DDL: migrations use IF NOT EXISTS so a failed one can simply run again.
      for (const statement of splitStatements(migration.text)) await run(statement);
      await client.insert({
        table: LEDGER,
        values: [{ name: migration.name, checksum: migration.checksum, applied_at: new Date().toISOString() }],
        format: "JSONEachRow",
      });
    },
  };
}
