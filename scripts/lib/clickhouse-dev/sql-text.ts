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
