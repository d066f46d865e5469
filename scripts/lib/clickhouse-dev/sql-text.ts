// What the HTTP layer needs to know of SQL text: chDB runs several statements separated by `;`, ClickHouse's HTTP
// handler refuses them, and the dev server must refuse them too.

import { firstKeyword, lex } from "../../../src/domain/sql/statements.ts";

export { firstKeyword };

export function hasMultipleStatements(sql: string): boolean {
  return lex(sql).statements.length > 1;
}

export function isBlank(sql: string): boolean {
  return lex(sql).statements.length === 0;
}

/** The format named by a trailing `FORMAT X` clause, if the query has one. */
export function trailingFormat(sql: string): string | undefined {
  const match = /\bFORMAT\s+([A-Za-z0-9_]+)[\s;]*$/i.exec(lex(sql).code);
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
