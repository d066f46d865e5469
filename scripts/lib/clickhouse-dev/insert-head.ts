// Where an INSERT's data begins, found the way ClickHouse's parser finds it: the statement ends with
// `FORMAT <name>` or `VALUES`, and every byte after that (bar the whitespace ClickHouse skips) is data, to be
// handed to the engine untouched, whatever the format.

import { quoteString } from "./sql-text.ts";

export interface InsertHead {
  /** The statement without its data, e.g. `INSERT INTO t (a, b) SETTINGS x = 1 FORMAT RowBinary`. */
  sql: string;
  /** The data's format: the named one, or `Values` for `… VALUES (…)`. */
  format: string;
  /** Byte offset of the first data byte in the scanned text. */
  dataStart: number;
  /** What comes before the `SETTINGS` clause or the format: `INSERT INTO t (a, b)`. */
  target: string;
  /** The `SETTINGS …` clause, or "". */
  settings: string;
}

const space = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c || b === 0x0b;
const wordStart = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
const wordPart = (b: number) => wordStart(b) || (b >= 0x30 && b <= 0x39);

/**
 * Scans `text` (bytes, so offsets are exact whatever the encoding) for an INSERT whose data follows the statement.
 * Undefined when the text is not such an INSERT (any other statement, or `INSERT … SELECT`). Only the statement is
 * read: the scan stops at the end of the format name and never looks at the data.
 */
export function findInsertHead(text: Uint8Array): InsertHead | undefined {
  const latin1 = new TextDecoder("latin1");
  let i = 0;
  let depth = 0;
  let first = true;
  let settingsAt: number | undefined;
  const utf8 = (from: number, to: number) => new TextDecoder().decode(text.subarray(from, to));
  const parts = (settings: number | undefined, keyword: number) => ({
    target: utf8(0, settings ?? keyword).trimEnd(),
    settings: settings === undefined ? "" : utf8(settings, keyword).trim(),
  });
  const nextWord = (): [string, number] | undefined => {
    for (;;) {
      while (i < text.length && space(text[i]!)) i++;
      if (i >= text.length) return undefined;
      const b = text[i]!;
      if ((b === 0x2d && text[i + 1] === 0x2d) || b === 0x23) {
        while (i < text.length && text[i] !== 0x0a) i++;
      } else if (b === 0x2f && text[i + 1] === 0x2a) {
        const end = indexOf(text, [0x2a, 0x2f], i + 2);
        i = end === -1 ? text.length : end + 2;
      } else if (b === 0x27 || b === 0x22 || b === 0x60) {
        i = skipQuoted(text, i);
      } else if (wordStart(b)) {
        const start = i;
        while (i < text.length && wordPart(text[i]!)) i++;
        return [latin1.decode(text.subarray(start, i)).toUpperCase(), start];
      } else {
        if (b === 0x28) depth++;
        if (b === 0x29) depth--;
        if (b === 0x3b) return undefined;
        i++;
      }
    }
  };
  for (;;) {
    const found = nextWord();
    if (!found) return undefined;
    const [word, at] = found;
    if (first && word !== "INSERT") return undefined;
    first = false;
    if (depth > 0) continue;
    if (word === "SELECT" || word === "WITH") return undefined;
    if (word === "SETTINGS") settingsAt ??= at;
    if (word === "VALUES") {
      const head = { sql: utf8(0, i), format: "Values", ...parts(settingsAt, at) };
      while (i < text.length && space(text[i]!)) i++;
      return { ...head, dataStart: i };
    }
    if (word === "FORMAT") {
      const name = nextWord();
      if (!name) return undefined;
      const head = { sql: utf8(0, i), format: utf8(name[1], i), ...parts(settingsAt, at) };
      // "Data starts after the first newline, if there is one, or after all the whitespace characters otherwise."
      while (i < text.length && (text[i] === 0x20 || text[i] === 0x09 || text[i] === 0x0c)) i++;
      if (text[i] === 0x0d) i++;
      if (text[i] === 0x0a) i++;
      return { ...head, dataStart: i };
    }
  }
}

/**
 * Formats the engine reads faster with `INSERT … SELECT * FROM file(…)` than with `FROM INFILE`, which
 * clickhouse-local parses on its client side and hands over block by block (Native: 15–40% more CPU, measured with
 * scripts/bench/clickhouse-dev-insert.ts).
 * For these the two land the same rows: the file takes the insertion table's structure (or the listed columns),
 * and omitted columns get their DEFAULT expressions (test/clickhouse-dev/binary-insert.test.ts checks both).
 * `Values` stays on INFILE: its data may hold expressions and `{x:Type}` parameters.
 */
const selectFromFileFormats = new Set(["Native", "RowBinary", "JSONEachRow"]);

/**
 * The same INSERT reading its data from a spooled file: `select` when it is an INSERT … SELECT (whose written rows
 * the engine reports apart), else an INSERT … FROM INFILE. A request with `param_*` values keeps INFILE, the one
 * form the engine binds them in.
 */
export function insertFromSpool(head: InsertHead, file: { path: string; compression: string }, withParams: boolean): { sql: string; select: boolean } {
  const path = quoteString(file.path);
  const compression = quoteString(file.compression);
  if (selectFromFileFormats.has(head.format) && !withParams) {
    // `INSERT INTO t [(…)] SELECT * FROM file(…) [SETTINGS …]`: a query's SETTINGS clause ends its SELECT.
    const select = `SELECT * FROM file(${path}, ${quoteString(head.format)}, 'auto', ${compression})`;
    return { sql: [head.target, select, head.settings].filter((part) => part !== "").join(" "), select: true };
  }
  // `INSERT INTO t [(…)] FROM INFILE '…' COMPRESSION '…' [SETTINGS …] FORMAT X` (INFILE comes before SETTINGS).
  const sql = [head.target, `FROM INFILE ${path} COMPRESSION ${compression}`, head.settings, "FORMAT", head.format]
    .filter((part) => part !== "").join(" ");
  return { sql, select: false };
}

function skipQuoted(text: Uint8Array, start: number): number {
  const quote = text[start]!;
  let j = start + 1;
  while (j < text.length) {
    if (text[j] === 0x5c) j += 2;
    else if (text[j] === quote && text[j + 1] === quote) j += 2;
    else if (text[j] === quote) return j + 1;
    else j++;
  }
  return text.length;
}

function indexOf(text: Uint8Array, needle: number[], from: number): number {
  for (let j = from; j <= text.length - needle.length; j++) {
    if (needle.every((b, k) => text[j + k] === b)) return j;
  }
  return -1;
}
