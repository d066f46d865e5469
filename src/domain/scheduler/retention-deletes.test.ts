import { describe, expect, test } from "bun:test";
import { RETENTION_BATCH, retentionStatements } from "./retention-deletes.ts";

const before = (c: string) => `occurred_at < ${c}`;
const term = (i: number) => ({ projectId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, before: `2026-01-0${(i % 9) + 1} 00:00:00.000` });

describe("retentionStatements", () => {
  test("one statement covers every project: an OR of (project, cutoff) terms, each value a bound parameter", () => {
    const [statement, ...more] = retentionStatements("events", before, [term(1), term(2)], undefined);
    expect(more).toEqual([]);
    const condition =
      "(project_id = {p0:UUID} AND occurred_at < {c0:DateTime64(3, 'UTC')}) OR (project_id = {p1:UUID} AND occurred_at < {c1:DateTime64(3, 'UTC')})";
    expect(statement).toEqual({
      projectIds: [term(1).projectId, term(2).projectId],
      count: `SELECT toString(project_id) AS project, count() AS n FROM events WHERE ${condition} GROUP BY project_id`,
      delete: `ALTER TABLE events DELETE WHERE ${condition}`,
      params: { p0: term(1).projectId, c0: term(1).before, p1: term(2).projectId, c1: term(2).before },
    });
  });

  test("on a cluster the mutation runs on the local tables of every node; the count reads the plain table", () => {
    const [statement] = retentionStatements("profile_days", (c) => `day < toDate(${c})`, [term(1)], "c1");
    expect(statement!.delete).toBe("ALTER TABLE profile_days_local ON CLUSTER 'c1' DELETE WHERE (project_id = {p0:UUID} AND day < toDate({c0:DateTime64(3, 'UTC')}))");
    expect(statement!.count).toStartWith("SELECT toString(project_id) AS project, count() AS n FROM profile_days WHERE");
  });

  test(`very many projects go in batches of ${RETENTION_BATCH}, each numbering its parameters from 0`, () => {
    const terms = Array.from({ length: 2 * RETENTION_BATCH + 1 }, (_, i) => term(i));
    const statements = retentionStatements("events", before, terms, undefined);
    expect(statements.map((s) => s.projectIds.length)).toEqual([RETENTION_BATCH, RETENTION_BATCH, 1]);
    expect(statements.flatMap((s) => s.projectIds)).toEqual(terms.map((t) => t.projectId));
    expect(statements[2]!.params).toEqual({ p0: terms[2 * RETENTION_BATCH]!.projectId, c0: terms[2 * RETENTION_BATCH]!.before });
    expect(statements[1]!.delete.match(/ OR /g)).toHaveLength(RETENTION_BATCH - 1);
  });

  test("no project with a period: no statement", () => {
    expect(retentionStatements("events", before, [], undefined)).toEqual([]);
  });
});
