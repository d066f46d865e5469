// Just enough lexing of SQL text to behave like ClickHouse's HTTP interface around the engine: chDB runs several
// statements separated by `;`, ClickHouse's HTTP handler refuses them, and the dev server must refuse them too.

type Scan = { code: string; statements: number };

/** Strips comments and string/identifier contents, counting non-empty `;`-separated statements. */
function scan(sql: string): Scan {
  let code = "";
  let statements = 0;
  let current = "";
  let i = 0;
  const flush = () => {
    if (current.trim() !== "") statements++;
    current = "";
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if ((c === "-" && next === "-") || c === "#") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
      current += " ";
      code += " ";
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "\\") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      current += c + c;
      code += c + c;
      i = j + 1;
      continue;
    }
    if (c === ";") {
      flush();
      code += c;
      i++;
      continue;
    }
    current += c;
    code += c;
    i++;
  }
  flush();
  return { code, statements };
}

export function hasMultipleStatements(sql: string): boolean {
  return scan(sql).statements > 1;
}

export function isBlank(sql: string): boolean {
  return scan(sql).statements === 0;
}

/** The first keyword of the statement, upper-cased (`SELECT`, `INSERT`, …), ignoring comments and parentheses. */
export function firstKeyword(sql: string): string {
  const match = /^[\s(]*([A-Za-z]+)/.exec(scan(sql).code);
  return match ? match[1]!.toUpperCase() : "";
}

/** The format named by a trailing `FORMAT X` clause, if the query has one. */
export function trailingFormat(sql: string): string | undefined {
  const match = /\bFORMAT\s+([A-Za-z0-9_]+)[\s;]*$/i.exec(scan(sql).code);
  return match?.[1];
}

export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

export function quoteIdentifier(name: string): string {
  return "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

export function contentTypeFor(format: string): string {
  if (/^JSON/i.test(format)) return "application/json; charset=UTF-8";
  if (/^(TSV|TabSeparated)/i.test(format)) return "text/tab-separated-values; charset=UTF-8";
  if (/^CSV/i.test(format)) return "text/csv; charset=UTF-8; header=absent";
  if (/^(Pretty|Vertical|Markdown|Values|XML)/i.test(format)) return "text/plain; charset=UTF-8";
  return "application/octet-stream";
}
