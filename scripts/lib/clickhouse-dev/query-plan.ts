// Decides what one HTTP request asks of the engine, the way ClickHouse's HTTP handler reads it: the text is the
// `query` URL parameter, a newline, then the body; an INSERT's data is whatever follows its `FORMAT X`/`VALUES`.

import { errors } from "./errors.ts";
import { findInsertHead, type InsertHead } from "./insert-head.ts";
import { firstKeyword, hasMultipleStatements, isBlank, trailingFormat } from "./sql-text.ts";

export type QueryPlan =
  | {
      kind: "query";
      sql: string;
      /** The format the result comes back in: a trailing `FORMAT X`, else `default_format`. */
      outputFormat: string;
      /** GET requests may only read, as in ClickHouse. */
      readonly: boolean;
    }
  | { kind: "insert"; head: InsertHead; data: Uint8Array };

const readOnlyKeywords = ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"];

export const isReadonlyMethod = (method: string) => method === "GET" || method === "HEAD";

/** The query parameter as ClickHouse reads it before the body: the text, then a newline. */
export function urlQueryBytes(urlQuery: string | undefined): Uint8Array {
  return new TextEncoder().encode(urlQuery ? urlQuery + "\n" : "");
}

/**
 * An INSERT whose statement is wholly in the `query` URL parameter, so that the body, as it comes, is the data:
 * the common case (`@clickhouse/client`'s insert), which needs no look at the body at all.
 */
export function insertInUrl(method: string, urlQuery: string | undefined): InsertHead | undefined {
  const text = urlQueryBytes(urlQuery);
  const head = findInsertHead(text);
  if (!head || head.dataStart !== text.byteLength) return undefined;
  if (isReadonlyMethod(method)) throw errors.readonlyGet();
  return head;
}

export function planQuery(method: string, urlQuery: string | undefined, body: Uint8Array, defaultFormat: string): QueryPlan {
  const readonly = isReadonlyMethod(method);
  const prefix = urlQueryBytes(urlQuery);
  const text = prefix.byteLength === 0 ? body : concat(prefix, body);
  const head = findInsertHead(text);
  if (head) {
    if (readonly) throw errors.readonlyGet();
    return { kind: "insert", head, data: text.subarray(head.dataStart) };
  }
  const bodyText = new TextDecoder().decode(body);
  const sql = urlQuery !== undefined && bodyText !== "" ? `${urlQuery}\n${bodyText}` : (urlQuery ?? bodyText);
  if (isBlank(sql)) throw errors.emptyQuery();
  if (hasMultipleStatements(sql)) throw errors.multiStatement();
  if (readonly && !readOnlyKeywords.includes(firstKeyword(sql))) throw errors.readonlyGet();
  const outputFormat = (firstKeyword(sql) !== "INSERT" && trailingFormat(sql)) || defaultFormat;
  return { kind: "query", sql, outputFormat, readonly };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
