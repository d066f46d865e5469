// `pug migrate` and friends: the embedded migrations of each store, applied under one lock.

import type { App } from "../app/app.ts";
import { type MigrationPlan, migrationsFrom } from "../domain/migrations/plan.ts";
import { createClickHouse } from "../infra/clickhouse.ts";
import { clickhouseMigrator } from "./clickhouse-migrator.ts";
import { embeddedMigrations, type Store } from "./embedded.ts";
import { withMigrationLock } from "./lock.ts";
import { migrateStore, type StoreMigrator, storeStatus } from "./migrator.ts";
import { natsMigrator } from "./nats-migrator.ts";
import { postgresMigrator } from "./postgres-migrator.ts";

export async function shippedMigrations(store: Store) {
  return migrationsFrom(embeddedMigrations[store]);
}

async function withMigrator<T>(app: App, store: Store, work: (migrator: StoreMigrator) => Promise<T>): Promise<T> {
  const shipped = await shippedMigrations(store);
  if (store === "postgres") return work(postgresMigrator(app.postgres()));
  if (store === "nats") return work(natsMigrator(await app.nats(), shipped, app.config.nats.replicas, app.config.nats.streamLimits, app.config.nats.eventsPartitions));
  const { url, database, cluster } = app.config.clickhouse;
  const admin = createClickHouse({ url, database: "default" });
  try {
    return await work(clickhouseMigrator({ client: app.clickhouse(), admin, database, cluster }));
  } finally {
    await admin.close();
  }
}

export async function runMigrations(app: App, stores: Store[], options: { dryRun: boolean; out: (line: string) => void }): Promise<void> {
  await withMigrationLock(app.postgres(), () => options.out("waiting for another migrate run to finish …"), async () => {
    for (const store of stores) {
      await withMigrator(app, store, async (migrator) => migrateStore(migrator, await shippedMigrations(store), options));
    }
  });
}

export async function migrationStatus(app: App, store: Store): Promise<MigrationPlan> {
  return withMigrator(app, store, async (migrator) => storeStatus(migrator, await shippedMigrations(store)));
}
