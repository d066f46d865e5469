// What the HTTP layer needs to know of an output format: whether chDB can stream it block by block, and the
// Content-Type ClickHouse answers it with.

/**
 * Formats whose streamed blocks, joined, are byte for byte the whole result (checked against chDB 26.7: every
 * other format repeats its header, prefix or suffix per block, e.g. `JSON` becomes one document per block with
 * `totals` and `statistics` misplaced). Those run to the end and are sent whole, as ClickHouse would send them.
 */
const streamable = new Set(
  [
    "JSONEachRow", "JSONLines", "JSONL", "NDJSON", "JSONStringsEachRow", "JSONCompactEachRow", "JSONCompactStringsEachRow",
    "TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "Raw", "CSV", "RowBinary", "Native", "CustomSeparated",
    "LineAsString", "RawBLOB", "MsgPack", "BSONEachRow", "TSKV", "Null",
  ].map((name) => name.toLowerCase()),
);

export function isStreamable(format: string): boolean {
  return streamable.has(format.toLowerCase());
}

/**
 * The engine's own answer (ClickHouse's `getContentType` of the format, as `system.formats` reports it for the
 * current settings), e.g. `application/x-ndjson; charset=UTF-8` for JSONEachRow.
 */
export function contentTypeQuery(format: string, quote: (value: string) => string): string {
  return `SELECT content_type FROM system.formats WHERE lower(name) = lower(${quote(format)}) ORDER BY name = ${quote(format)} DESC LIMIT 1`;
}

/** What ClickHouse sends when no output format applies (an INSERT, a failed lookup). */
export const plainText = "text/plain; charset=UTF-8";
