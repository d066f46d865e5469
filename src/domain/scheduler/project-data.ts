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
 * its own TTL; usage_daily counts events accepted, which stays true after they are deleted. The cutoff is a
 * parameter ({before:DateTime64}) rather than now(): a replicated table refuses non-deterministic mutations.
 */
export const RETENTION_ROWS: { table: string; where: string }[] = [
  { table: "events", where: "occurred_at < {before:DateTime64(3, 'UTC')}" },
  { table: "profile_days", where: "day < toDate({before:DateTime64(3, 'UTC')})" },
];

/** The instant before which a project keeping `days` days deletes events, as a ClickHouse DateTime64 literal. */
export function retentionCutoff(now: Date, days: number): string {
  if (!Number.isInteger(days) || days <= 0) throw new Error(`a retention period is a positive number of days, got ${days}`);
  return new Date(now.getTime() - days * 86_400_000).toISOString().replace("T", " ").replace("Z", "");
}

/** Days of usage the rollup copies each run: the current month and the end of the previous one. */
export const USAGE_ROLLUP_DAYS = 35;

/** Events accepted per project and UTC day over the last {days:UInt16} days; sum() merges rows not merged yet. */
export const USAGE_ROLLUP_QUERY = `SELECT toString(project_id) AS project, toString(day) AS usage_day, toString(sum(events)) AS event_count
FROM usage_daily WHERE day >= today() - {days:UInt16} GROUP BY project_id, day ORDER BY project_id, day`;
