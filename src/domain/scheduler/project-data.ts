// Which ClickHouse rows a project's purge and its retention period remove. test/scheduler keeps PROJECT_TABLES
// equal to the migrated tables that have a project_id column.

/** Every ClickHouse table holding a project's rows (views write into these; they hold none of their own). */
export const PROJECT_TABLES = [
  "events",
  "profiles",
  "profile_aliases",
  "profile_activity",
  "profile_days",
  "event_names",
  "property_keys",
  "property_values",
  "usage_daily",
] as const;

/**
 * The dated rows a retention period removes: events, and the per-day heatmap derived from them. Totals without a
 * date (profile_activity, event_names, property_keys) cannot be cut by day and stay; property_values expires on
 * its own TTL; usage_daily counts events accepted, which stays true after they are deleted. `where` is given the
 * cutoff as a parameter rather than now(): a replicated table refuses non-deterministic mutations.
 */
export const RETENTION_ROWS: { table: string; where: (cutoff: string) => string }[] = [
  { table: "events", where: (cutoff) => `occurred_at < ${cutoff}` },
  { table: "profile_days", where: (cutoff) => `day < toDate(${cutoff})` },
];

/** The longest retention period (projects.retention_days allows no more): a century, within DateTime64's range. */
export const MAX_RETENTION_DAYS = 36_500;

/** The instant before which a project keeping `days` days deletes events, as a ClickHouse DateTime64 literal. */
export function retentionCutoff(now: Date, days: number): string {
  if (!Number.isInteger(days) || days <= 0 || days > MAX_RETENTION_DAYS) {
    throw new Error(`a retention period is a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${days}`);
  }
  return new Date(now.getTime() - days * 86_400_000).toISOString().replace("T", " ").replace("Z", "");
}

/** Days of usage the rollup copies each run once it has run before: the current month and the end of the previous one. */
export const USAGE_ROLLUP_DAYS = 35;

/**
 * Events accepted per project and UTC day, over the last `days` days, or all of them (the first run: the
 * migration's backfill put every day's count in usage_daily); sum() merges rows not merged yet.
 */
export function usageRollupQuery(days: number | "all"): { query: string; query_params: Record<string, number> } {
  const since = days === "all" ? "" : "WHERE day >= today() - {days:UInt16} ";
  return {
    query: `SELECT toString(project_id) AS project, toString(day) AS usage_day, toString(sum(events)) AS event_count
FROM usage_daily ${since}GROUP BY project_id, day ORDER BY project_id, day`,
    query_params: days === "all" ? {} : { days },
  };
}
