// Retention as few mutations as possible: every ALTER TABLE … DELETE rewrites each part holding a matching row, and
// the parts of the boundary month hold every project's rows, so one mutation per project per table would rewrite
// them once per project every day. Instead one statement per table covers every project with a period, an OR of
// (project, cutoff) terms given as parameters; very many projects are split into batches to keep statements small.

import { rowsDelete } from "../sql/clickhouse-delete.ts";

/** Projects a retention statement covers at most. */
export const RETENTION_BATCH = 200;

export interface RetentionTerm {
  projectId: string;
  /** The cutoff, a DateTime64 literal in UTC (see retentionCutoff). */
  before: string;
}

export interface RetentionStatement {
  /** The projects it covers, in term order. */
  projectIds: string[];
  /** Rows it would delete, per project: SELECT project, n. */
  count: string;
  delete: string;
  params: Record<string, string>;
}

/**
 * The statements removing, in `table`, each project's rows that `where(cutoff)` picks, where `cutoff` is the
 * project's cutoff parameter ({cN:DateTime64(3, 'UTC')}).
 */
export function retentionStatements(
  table: string,
  where: (cutoff: string) => string,
  terms: RetentionTerm[],
  cluster: string | undefined,
  batch = RETENTION_BATCH,
): RetentionStatement[] {
  const statements: RetentionStatement[] = [];
  for (let start = 0; start < terms.length; start += batch) {
    const chunk = terms.slice(start, start + batch);
    const params: Record<string, string> = {};
    const conditions = chunk.map((term, i) => {
      params[`p${i}`] = term.projectId;
      params[`c${i}`] = term.before;
      return `(project_id = {p${i}:UUID} AND ${where(`{c${i}:DateTime64(3, 'UTC')}`)})`;
    });
    const condition = conditions.join(" OR ");
    statements.push({
      projectIds: chunk.map((term) => term.projectId),
      count: `SELECT toString(project_id) AS project, count() AS n FROM ${table} WHERE ${condition} GROUP BY project_id`,
      delete: rowsDelete(table, cluster, condition),
      params,
    });
  }
  return statements;
}
