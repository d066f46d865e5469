// Postgres: the control plane's source of truth (orgs, projects, API keys, migrations ledger).

import postgres from "postgres";

export type Sql = postgres.Sql;

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  connectTimeoutSeconds?: number;
}

export function createPostgres(options: PostgresOptions): Sql {
  return postgres(options.url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "pug" },
  });
}

/** The database a URL points at, and the same URL pointed at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = "/" + encodeURIComponent(database);
  return parsed.toString();
}
