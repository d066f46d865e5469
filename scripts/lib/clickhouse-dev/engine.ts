// The one chDB engine of this process. ClickHouse runs HTTP queries concurrently; chDB is driven here one query
// at a time through `exclusive()`. Every request gets its own connection, so `SET`/`USE` never leak between
// requests, exactly like stateless ClickHouse HTTP queries (sessions keep theirs: see sessions.ts).

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Session } from "chdb";
import { errors, fromEngineError } from "./errors.ts";
import { contentTypeQuery, plainText } from "./output-formats.ts";
import { quoteIdentifier, quoteString } from "./sql-text.ts";

interface NativeResult { bytes: Uint8Array; elapsed: number; rowsRead: number; bytesRead: number }
interface NativeChunk { bytes: Uint8Array; numRows: number; done: boolean }
interface Native {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeResult>;
  StreamQuery(conn: unknown, sql: string, format: string, params?: Record<string, string>): unknown;
  StreamFetch(handle: unknown): Promise<NativeChunk>;
  StreamCancel(handle: unknown): void;
  InsertRawAsyncConnection(conn: unknown, sql: string, data: Uint8Array, countLines: boolean): Promise<{ elapsed: number; rowsWritten: number; bytesWritten: number }>;
}

/**
 * chDB's own API re-escapes parameter values from JavaScript types; the client already sends ClickHouse's wire
 * encoding (`\N`, `['a','b']`, escaped text), which the native binding takes verbatim. So use the binding.
 */
function loadNative(): Native {
  const require = createRequire(import.meta.url);
  const chdbDir = dirname(require.resolve("chdb"));
  return require(join(chdbDir, "dist", "loader.js")).loadNative() as Native;
}

/** What `X-ClickHouse-Summary` reports. */
export interface Summary {
  readRows: number;
  readBytes: number;
  writtenRows: number;
  writtenBytes: number;
  resultRows: number;
  resultBytes: number;
  elapsedNs: number;
}

export const emptySummary = (): Summary => ({
  readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: 0, resultBytes: 0, elapsedNs: 0,
});

export interface RowStream {
  first: NativeChunk;
  next(): Promise<NativeChunk>;
  cancel(): void;
}

/**
 * Settings a ClickHouse 24 server has by default where chDB (clickhouse-local) differs. `implicit_select=1` would
 * run a bare `invalid` as `SELECT invalid` (code 47) where a server reports a syntax error (code 62).
 */
export const serverDefaults = [
  "--async_insert=0",
  "--output_format_json_quote_64bit_integers=1",
  "--enable_http_compression=0",
  "--implicit_select=0",
];

const noData = Buffer.alloc(0);

export class Engine {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly contentTypes = new Map<string, string>();

  private constructor(
    private readonly native: Native,
    private readonly owner: Session,
    readonly dataDir: string,
    readonly version: string,
  ) {}

  static async open(dataDir: string): Promise<Engine> {
    const native = loadNative();
    const owner = new Session(dataDir, { connectionArgs: serverDefaults });
    const result = await native.QueryAsyncConnection(owner.connection, "SELECT version()", "TabSeparatedRaw");
    const version = new TextDecoder().decode(result.bytes).trim();
    return new Engine(native, owner, dataDir, version);
  }

  /** Waits for the engine; the returned function gives it back. */
  exclusive(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => turn);
    return ready;
  }

  /** A connection with server defaults and no state of its own; close it when the request ends. */
  connect(): Session {
    return new Session(this.dataDir, { connectionArgs: serverDefaults });
  }

  async prepare(conn: Session, database: string | undefined, settings: Record<string, string>): Promise<void> {
    if (database) await this.run(conn, `USE ${quoteIdentifier(database)}`);
    const assignments = Object.entries(settings).map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw errors.unknownSetting(name);
      return `${name} = ${settingLiteral(value)}`;
    });
    if (assignments.length > 0) await this.run(conn, `SET ${assignments.join(", ")}`);
  }

  /** Runs an `INSERT … FROM INFILE` (see request-body.ts); the rows it read from the file are the rows it wrote. */
  async insertFromFile(conn: Session, sql: string, params?: Record<string, string>): Promise<Summary> {
    const { summary } = await this.run(conn, sql, "TabSeparated", params);
    return {
      ...summary,
      writtenRows: summary.readRows, writtenBytes: summary.readBytes,
      resultRows: summary.readRows, resultBytes: summary.readBytes,
    };
  }

  /**
   * Runs an `INSERT … SELECT`, reporting the rows it wrote: the binding's insert entry with no inline data is
   * the one that counts them (a plain query reports nothing read for an INSERT … SELECT).
   */
  async insertSelect(conn: Session, sql: string): Promise<Summary> {
    try {
      const result = await this.native.InsertRawAsyncConnection(conn.connection, sql, noData, false);
      return {
        ...emptySummary(),
        readRows: result.rowsWritten, readBytes: result.bytesWritten,
        writtenRows: result.rowsWritten, writtenBytes: result.bytesWritten,
        resultRows: result.rowsWritten, resultBytes: result.bytesWritten,
        elapsedNs: Math.round(result.elapsed * 1e9),
      };
    } catch (error) {
      throw fromEngineError(error);
    }
  }

  /**
   * The Content-Type ClickHouse sends for `format`, given the request's `output_format_*` settings (which can
   * change it, as `output_format_json_array_of_rows` does for JSONEachRow). Asked of the engine's own connection,
   * so that the request's other settings (row limits, readonly) cannot get in the way; a `SET` made earlier in a
   * session is not seen. Call it with the engine held.
   */
  async contentType(format: string, settings: Record<string, string>): Promise<string> {
    const output = Object.entries(settings).filter(([name]) => /^output_format_[A-Za-z0-9_]+$/.test(name));
    const key = JSON.stringify([format, output]);
    const cached = this.contentTypes.get(key);
    if (cached) return cached;
    const clause = output.length > 0 ? ` SETTINGS ${output.map(([name, value]) => `${name} = ${settingLiteral(value)}`).join(", ")}` : "";
    const { bytes } = await this.run(this.owner, contentTypeQuery(format, quoteString) + clause, "TabSeparatedRaw");
    const type = new TextDecoder().decode(bytes).trim() || plainText;
    this.contentTypes.set(key, type);
    return type;
  }

  /** Runs a statement whose whole result is returned at once (DDL, INSERT … SELECT, SHOW, …). */
  async run(conn: Session, sql: string, format = "TabSeparated", params?: Record<string, string>) {
    try {
      const result = await this.native.QueryAsyncConnection(conn.connection, sql, format, params);
      const summary: Summary = {
        ...emptySummary(),
        readRows: result.rowsRead, readBytes: result.bytesRead,
        resultBytes: result.bytes.byteLength, elapsedNs: Math.round(result.elapsed * 1e9),
      };
      return { bytes: result.bytes, summary };
    } catch (error) {
      throw fromEngineError(error);
    }
  }

  /**
   * Starts a SELECT whose result is fetched block by block, so a large result never sits in memory whole.
   * Returns undefined for statements chDB cannot stream (anything but SELECT/WITH): run those with `run`.
   */
  async stream(conn: Session, sql: string, format: string, params?: Record<string, string>): Promise<RowStream | undefined> {
    let handle: unknown;
    try {
      handle = this.native.StreamQuery(conn.connection, sql, format, params);
    } catch (error) {
      const ch = fromEngineError(error);
      if (ch.code === 36 && ch.message.startsWith("Streaming query is not supported")) return undefined;
      throw ch;
    }
    let finished = false;
    const cancel = () => {
      if (finished) return;
      finished = true;
      try {
        this.native.StreamCancel(handle);
      } catch {
        // already released by the engine
      }
    };
    const next = async () => {
      try {
        const chunk = await this.native.StreamFetch(handle);
        if (chunk.done) finished = true;
        return chunk;
      } catch (error) {
        finished = true;
        throw fromEngineError(error);
      }
    };
    try {
      return { first: await next(), next, cancel };
    } catch (error) {
      cancel();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const release = await this.exclusive();
    this.owner.close();
    release();
  }
}

/** URL settings arrive as text; ClickHouse converts a string literal to the setting's own type. */
function settingLiteral(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : quoteString(value);
}
