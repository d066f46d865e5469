import type { ClickHouseClient } from "@clickhouse/client";
import type { Nats } from "../../infra/nats.ts";
import type { Sql } from "../../infra/postgres.ts";
import type { Logger } from "../../logger.ts";
import type { ProjectSettingsCache } from "../../store/project-settings.ts";
import type { QueryCache } from "./query-cache.ts";

/** What the shared services read and write. */
export interface SharedDeps {
  sql: Sql;
  clickhouse: ClickHouseClient;
  nats: () => Promise<Nats>;
  log: Logger;
  /** The project's reporting time zone and other per-call settings. */
  projects: ProjectSettingsCache;
  /** Recent Query answers (Redis; optional in effect: works without it). */
  cache: QueryCache;
}
