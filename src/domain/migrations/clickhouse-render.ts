// Renders ClickHouse migration statements for a single node or for a cluster. Migrations are written for a
// single node; with a cluster every table becomes a Replicated* `<name>_local` table created ON CLUSTER plus a
// Distributed `<name>` in front of it, so queries and inserts keep using the plain name.
//
// A CREATE TABLE must say how rows are spread over shards, in a comment line inside the statement:
//   -- sharding_key: cityHash64(project_id, distinct_id)
// Duplicates of a row must land on the same shard for ReplacingMergeTree to collapse them, so there is no
// random default.
//
// A materialized view is created on every node and reads the node's `<source>_local` table, so each shard's
// inserts feed it; it writes TO the Distributed target, which sends each row to the shard its key belongs to.
//
// An INSERT … SELECT (a backfill) runs once, as written: it reads the Distributed tables (every shard) and writes
// through the Distributed target, which spreads the rows; run on every node it would count them once per node.

export interface RenderTarget {
  database: string;
  cluster: string | undefined;
}

const createTable = /^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(/i;
const alterTable = /^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+([\s\S]*)$/i;
const dropTable = /^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(SYNC)?\s*$/i;
const createView = /^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+(TO\s+([A-Za-z_][A-Za-z0-9_]*)\s+)?AS\s+(SELECT\b[\s\S]*)$/i;
const insertSelect = /^INSERT\s+INTO\s+[A-Za-z_][A-Za-z0-9_]*\s*(\([^)]*\)\s*)?SELECT\b/i;
const dropView = /^DROP\s+VIEW\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(SYNC)?\s*$/i;

export function renderStatement(statement: string, target: RenderTarget): string[] {
  const sql = statement.trim();
  if (!target.cluster) return [sql];
  const onCluster = `ON CLUSTER ${quote(target.cluster)}`;
  const body = withoutComments(sql);

  const create = createTable.exec(body);
  if (create) return renderCreate(sql, body, create, target.cluster, target.database);

  const alter = alterTable.exec(body);
  if (alter) {
    const [, name, rest] = alter;
    const local = `ALTER TABLE ${name}_local ${onCluster} ${rest}`;
    // Column changes apply to the Distributed table too; part operations only to the local one.
    return /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i.test(rest!) ? [local, `ALTER TABLE ${name} ${onCluster} ${rest}`] : [local];
  }

  const drop = dropTable.exec(body);
  if (drop) {
    const [, ifExists = "", name, sync = ""] = drop;
    return [`DROP TABLE ${ifExists}${name} ${onCluster} ${sync}`.trim(), `DROP TABLE ${ifExists}${name}_local ${onCluster} ${sync}`.trim()];
  }

  const view = createView.exec(body);
  if (view) {
    const [, ifNotExists = "", name, , to, select] = view;
    if (!to) throw new Error(`CREATE MATERIALIZED VIEW ${name}: a view must write TO a table to be rendered for a cluster`);
    return [`CREATE MATERIALIZED VIEW ${ifNotExists}${name} ${onCluster} TO ${to} AS ${readingLocalTables(name!, select!)}`];
  }

  if (insertSelect.test(body)) return [sql];

  const dropV = dropView.exec(body);
  if (dropV) {
    const [, ifExists = "", name, sync = ""] = dropV;
    return [`DROP VIEW ${ifExists}${name} ${onCluster} ${sync}`.trim()];
  }

  throw new Error(`cannot render for a cluster: only CREATE TABLE, ALTER TABLE, DROP TABLE, CREATE MATERIALIZED VIEW … TO and DROP VIEW (and INSERT … SELECT) are supported, got: ${body.slice(0, 80)}`);
}

/**
 * The view's query reading `<table>_local` wherever it reads `FROM <table>`. A JOIN is refused: whether the
 * joined table should be read whole (Distributed) or per shard is a decision this renderer cannot make.
 */
function readingLocalTables(view: string, select: string): string {
  let sources = 0;
  const rendered = unquotedParts(select, (code) => {
    if (/\bJOIN\b/i.test(code.replace(/\bARRAY\s+JOIN\b/gi, ""))) throw new Error(`CREATE MATERIALIZED VIEW ${view}: a JOIN cannot be rendered for a cluster`);
    return code.replace(/\bFROM(\s+)([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*[.(])/gi, (_match, space: string, table: string) => {
      sources++;
      return `FROM${space}${table}_local`;
    });
  });
  if (sources === 0) throw new Error(`CREATE MATERIALIZED VIEW ${view}: no 'FROM <table>' to read from on each shard`);
  return rendered;
}

/** `text` with `change` applied to every part outside quotes ('…', "…", `…`); quoted parts are kept as they are. */
function unquotedParts(text: string, change: (code: string) => string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "'" && c !== '"' && c !== "`") continue;
    out += change(text.slice(start, i));
    const close = quoteEnd(text, i);
    out += text.slice(i, close + 1);
    i = close;
    start = close + 1;
  }
  return out + change(text.slice(start));
}

/** Index of the quote closing the one at `open` (backslash escapes skipped), or the text's end. */
function quoteEnd(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length && text[i] !== text[open]) i += text[i] === "\\" ? 2 : 1;
  return i;
}

function renderCreate(original: string, body: string, match: RegExpExecArray, cluster: string, database: string): string[] {
  const [, ifNotExists = "", name] = match;
  const sharding = /--\s*sharding_key:\s*(.+)$/m.exec(original)?.[1]?.trim();
  if (!sharding) throw new Error(`CREATE TABLE ${name} needs a '-- sharding_key: <expression>' line to be rendered for a cluster`);

  const columnsOpen = match[0].length - 1;
  const columnsClose = closingParen(body, columnsOpen);
  const columns = body.slice(columnsOpen, columnsClose + 1);
  const rest = body.slice(columnsClose + 1);
  const engine = /^\s*ENGINE\s*=\s*([A-Za-z]*MergeTree)\s*/i.exec(rest);
  if (!engine) throw new Error(`CREATE TABLE ${name}: a MergeTree-family ENGINE must follow the columns to be rendered for a cluster`);
  let after = rest.slice(engine[0].length);
  let args = "";
  if (after.startsWith("(")) {
    const close = closingParen(after, 0);
    args = after.slice(1, close).trim();
    after = after.slice(close + 1);
  }
  const local = `${name}_local`;
  const replicatedArgs = [`'/clickhouse/tables/{shard}/{database}/${local}'`, `'{replica}'`, ...(args ? [args] : [])].join(", ");
  const onCluster = `ON CLUSTER ${quote(cluster)}`;
  return [
    `CREATE TABLE ${ifNotExists}${local} ${onCluster} ${columns} ENGINE = Replicated${engine[1]}(${replicatedArgs})${after}`.trim(),
    `CREATE TABLE ${ifNotExists}${name} ${onCluster} AS ${local} ENGINE = Distributed(${quote(cluster)}, ${quote(database)}, ${quote(local)}, ${sharding})`,
  ];
}

/** Index of the parenthesis closing the one at `open`, skipping quoted text. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === "`") {
      i = quoteEnd(text, i);
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses in: ${text.slice(open, open + 80)}`);
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "").trim();
}

const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
