import { describe, expect, test } from "bun:test";
import { projectRowsCount, projectRowsDelete } from "./clickhouse-delete.ts";

describe("projectRowsDelete", () => {
  test("one node: the table itself, every row of the project or those the condition picks", () => {
    expect(projectRowsDelete("events", undefined)).toBe("ALTER TABLE events DELETE WHERE project_id = {project_id:UUID}");
    expect(projectRowsDelete("events", undefined, "a = 1 OR b = 2")).toBe("ALTER TABLE events DELETE WHERE project_id = {project_id:UUID} AND (a = 1 OR b = 2)");
  });

  test("a cluster: the local table on every node", () => {
    expect(projectRowsDelete("profile_days", "c1", "day < {d:Date}")).toBe(
      "ALTER TABLE profile_days_local ON CLUSTER 'c1' DELETE WHERE project_id = {project_id:UUID} AND (day < {d:Date})",
    );
  });

  test("the count reads the same rows through the plain table", () => {
    expect(projectRowsCount("events", "x > 1")).toBe("SELECT count() AS n FROM events WHERE project_id = {project_id:UUID} AND (x > 1)");
    expect(projectRowsCount("usage_daily")).toBe("SELECT count() AS n FROM usage_daily WHERE project_id = {project_id:UUID}");
  });
});
