// What a migrate run has to do, given the migrations shipped in the binary and the ledger of one store.

export interface Migration {
  /** File name, e.g. `0001_orgs.sql`; the order of application is the order of names. */
  name: string;
  text: string;
  checksum: string;
}

export interface LedgerEntry {
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  name: string;
  state: "applied" | "pending" | "changed" | "unknown";
  appliedAt?: Date;
}

export interface MigrationPlan {
  pending: Migration[];
  /** Applied migrations whose shipped text no longer matches the checksum recorded when they ran. */
  changed: { name: string; recorded: string; shipped: string }[];
  /** Names in the ledger that this binary does not ship (a newer binary migrated this store). */
  unknown: string[];
  status: MigrationStatus[];
}

export async function checksum(text: string): Promise<string> {
  const normalised = new TextEncoder().encode(text.replace(/\r\n/g, "\n"));
  const digest = await crypto.subtle.digest("SHA-256", normalised);
  return Buffer.from(digest).toString("hex");
}

export async function migrationsFrom(files: Record<string, string>): Promise<Migration[]> {
  const names = Object.keys(files).sort();
  for (const name of names) {
    if (!/^\d{4}_[a-z0-9_]+\.(sql|json)$/.test(name)) throw new Error(`migration file name '${name}' must look like 0001_short_name.sql`);
  }
  return Promise.all(names.map(async (name) => ({ name, text: files[name]!, checksum: await checksum(files[name]!) })));
}

export function planMigrations(shipped: Migration[], ledger: LedgerEntry[]): MigrationPlan {
  const applied = new Map(ledger.map((entry) => [entry.name, entry]));
  const shippedNames = new Set(shipped.map((m) => m.name));
  const pending: Migration[] = [];
  const changed: MigrationPlan["changed"] = [];
  const status: MigrationStatus[] = [];
  for (const migration of shipped) {
    const entry = applied.get(migration.name);
    if (!entry) {
      pending.push(migration);
      status.push({ name: migration.name, state: "pending" });
    } else if (entry.checksum !== migration.checksum) {
      changed.push({ name: migration.name, recorded: entry.checksum, shipped: migration.checksum });
      status.push({ name: migration.name, state: "changed", appliedAt: entry.appliedAt });
    } else {
      status.push({ name: migration.name, state: "applied", appliedAt: entry.appliedAt });
    }
  }
  const unknown = ledger.filter((entry) => !shippedNames.has(entry.name)).map((entry) => entry.name).sort();
  for (const name of unknown) status.push({ name, state: "unknown", appliedAt: applied.get(name)!.appliedAt });
  return { pending, changed, unknown, status };
}
