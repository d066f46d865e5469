// A physical delete of one project's rows in one ClickHouse table: ALTER TABLE … DELETE, a mutation that rewrites
// the parts holding matching rows (a lightweight DELETE would only mask them until a merge). With a cluster the
// rows live in `<table>_local` on every node and the mutation runs ON CLUSTER. Every condition starts with the
// project, given as the {project_id:UUID} parameter; `where` narrows it further.

export function projectRowsDelete(table: string, cluster: string | undefined, where?: string): string {
  return rowsDelete(table, cluster, projectRows(where));
}

/** The mutation deleting the rows `condition` picks, on the table's local tables when there is a cluster. */
export function rowsDelete(table: string, cluster: string | undefined, condition: string): string {
  const onCluster = cluster ? ` ON CLUSTER '${cluster}'` : "";
  const name = cluster ? `${table}_local` : table;
  return `ALTER TABLE ${name}${onCluster} DELETE WHERE ${condition}`;
}

/** How many rows the same delete would remove, read through the table every query uses. */
export function projectRowsCount(table: string, where?: string): string {
  return `SELECT count() AS n FROM ${table} WHERE ${projectRows(where)}`;
}

const projectRows = (where: string | undefined) => (where ? `project_id = {project_id:UUID} AND (${where})` : "project_id = {project_id:UUID}");
