// Decides what one HTTP request asks of the engine, the way ClickHouse's HTTP handler reads it: the query comes
// from the `query` URL parameter and/or the body; for an INSERT named in the URL the body is the data.

import { errors } from "./errors.ts";
import { firstKeyword, hasMultipleStatements, isBlank, trailingFormat } from "./sql-text.ts";

export interface QueryPlan {
  sql: string;
  /** Rows to insert, sent apart from the statement (`?query=INSERT … FORMAT X` with the rows as the body). */
  insertData: Uint8Array | undefined;
  /** The format the result comes back in: a trailing `FORMAT X`, else `default_format`. */
  outputFormat: string;
  /** GET requests may only read, as in ClickHouse. */
  readonly: boolean;
}

export function planQuery(method: string, urlQuery: string | undefined, body: Uint8Array, defaultFormat: string): QueryPlan {
  const readonly = method === "GET" || method === "HEAD";
  let sql: string;
  let insertData: Uint8Array | undefined;
  if (urlQuery !== undefined && body.byteLength > 0 && firstKeyword(urlQuery) === "INSERT") {
    sql = urlQuery;
    insertData = body;
  } else {
    const bodyText = new TextDecoder().decode(body);
    sql = urlQuery !== undefined && bodyText !== "" ? `${urlQuery}\n${bodyText}` : (urlQuery ?? bodyText);
  }
  // An INSERT with inline rows in the body is the statement plus data: only its head is SQL to inspect.
  const statement = insertData === undefined && firstKeyword(sql) === "INSERT" ? insertHead(sql) : sql;
  if (isBlank(statement)) throw errors.emptyQuery();
  if (hasMultipleStatements(statement)) throw errors.multiStatement();
  if (readonly && !["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"].includes(firstKeyword(sql))) {
    throw errors.readonlyGet();
  }
  const outputFormat = (insertData === undefined && firstKeyword(sql) !== "INSERT" && trailingFormat(sql)) || defaultFormat;
  return { sql, insertData, outputFormat, readonly };
}

/** `INSERT INTO t FORMAT JSONEachRow` of `INSERT INTO t FORMAT JSONEachRow\n{…}`: everything up to the data. */
function insertHead(sql: string): string {
  const format = /\bFORMAT\s+[A-Za-z0-9_]+/i.exec(sql);
  if (format) return sql.slice(0, format.index + format[0].length);
  const values = /\bVALUES\b/i.exec(sql);
  return values ? sql.slice(0, values.index + values[0].length) : sql;
}
