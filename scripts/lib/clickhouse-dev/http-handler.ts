// ClickHouse's HTTP interface in front of the chDB engine, as `@clickhouse/client` and curl use it.

import { gzipSync } from "node:zlib";
import type { Session } from "chdb";
import type { Logger } from "../../../src/logger.ts";
import type { Engine, Summary } from "./engine.ts";
import { type ClickHouseError, errors, fromEngineError, httpStatusFor } from "./errors.ts";
import { type InsertHead, insertFromSpool } from "./insert-head.ts";
import { isStreamable, plainText } from "./output-formats.ts";
import { insertInUrl, isReadonlyMethod, planQuery } from "./query-plan.ts";
import { type Credentials, isTrue, parseCredentials, parseQueryParams, type QueryParams } from "./request-params.ts";
import type { SessionRegistry } from "./sessions.ts";
import { decodeBody, type Spool, type SpooledData } from "./request-body.ts";
import { streamBody } from "./stream-body.ts";

export interface HandlerDeps {
  engine: Engine;
  sessions: SessionRegistry;
  spool: Spool;
  credentials: Credentials;
  log: Logger;
  isStopping(): boolean;
}

const ok = () => new Response("Ok.\n", { headers: { "content-type": "text/html; charset=UTF-8" } });

export interface Handler {
  (req: Request): Promise<Response>;
  /** Ends every result still streaming (on shutdown: a read loses nothing by being cut short). */
  endStreams(): void;
}

export function createHandler(deps: HandlerDeps): Handler {
  const { engine, log } = deps;
  const streams = new Set<() => void>();

  const handle = async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const started = performance.now();
    let queryId = url.searchParams.get("query_id") ?? "";
    // ClickHouse ≥ 25.11 tags every response; a mid-stream error is then framed with this tag (see streamBody).
    const exceptionTag = randomTag();
    const gzip = isTrue(url.searchParams.get("enable_http_compression")) && /\bgzip\b/i.test(req.headers.get("accept-encoding") ?? "");
    try {
      if (url.pathname === "/ping") return ok();
      if (url.pathname !== "/") throw errors.noHandler(url.pathname);
      if (isReadonlyMethod(req.method) && !url.searchParams.has("query")) return ok();
      if (deps.isStopping()) throw errors.shuttingDown();

      const given = parseCredentials(req.headers, url);
      if (given.user !== deps.credentials.user || given.password !== deps.credentials.password) {
        throw errors.authenticationFailed(given.user);
      }
      const params = parseQueryParams(url);
      queryId = params.queryId;
      const reply = await answer(req, params, exceptionTag);
      const headers = replyHeaders(queryId, reply.format, reply.contentType, reply.summary, engine.version, exceptionTag);
      log.debug("query", { query_id: queryId, ms: Math.round(performance.now() - started), streamed: reply.body instanceof ReadableStream });
      if (gzip) headers.set("content-encoding", "gzip");
      if (reply.body instanceof ReadableStream) {
        return new Response(gzip ? reply.body.pipeThrough(gzipStream()) : reply.body, { headers });
      }
      return new Response(gzip ? gzipSync(reply.body) : reply.body, { headers });
    } catch (thrown) {
      const error = fromEngineError(thrown);
      log.info("query failed", { query_id: queryId, code: error.code, type: error.type, error: error.message });
      return errorResponse(error, { queryId, version: engine.version, exceptionTag, gzip });
    }
  };
  return Object.assign(handle, { endStreams: () => [...streams].forEach((end) => end()) });

  /** An INSERT's data goes to a spool file before the engine is taken; anything else runs as a query. */
  async function answer(req: Request, params: QueryParams, exceptionTag: string): Promise<Reply> {
    const urlInsert = insertInUrl(req.method, params.query);
    if (urlInsert) {
      const spooled = await deps.spool.write(req.body, req.headers.get("content-encoding"));
      return await insert(params, urlInsert, spooled);
    }
    const body = decodeBody(new Uint8Array(await req.arrayBuffer()), req.headers.get("content-encoding"));
    const plan = planQuery(req.method, params.query, body, params.defaultFormat);
    if (plan.kind === "insert") return await insert(params, plan.head, await deps.spool.write(plan.data, null));
    const settings = plan.readonly ? { ...params.settings, readonly: "2" } : params.settings;
    return await execute(params, settings, plan.sql, plan.outputFormat, exceptionTag);
  }

  async function insert(params: QueryParams, head: InsertHead, spooled: SpooledData): Promise<Reply> {
    try {
      const bound = boundParams(params);
      const plan = insertFromSpool(head, spooled, bound !== undefined);
      return await withConnection(params, params.settings, async (conn) => ({
        body: new Uint8Array(0),
        summary: plan.select ? await engine.insertSelect(conn, plan.sql) : await engine.insertFromFile(conn, plan.sql, bound),
        format: params.defaultFormat,
        contentType: plainText,
      }));
    } finally {
      await spooled.remove();
    }
  }

  /** Runs one query with the engine to itself; a streamed result keeps it until the stream ends. */
  async function execute(params: QueryParams, settings: Record<string, string>, sql: string, format: string, exceptionTag: string): Promise<Reply> {
    return await withConnection(params, settings, async (conn, handOff) => {
      const contentType = await engine.contentType(format, settings);
      const bound = boundParams(params);
      const stream = isStreamable(format) ? await engine.stream(conn, sql, format, bound) : undefined;
      if (!stream) {
        const result = await engine.run(conn, sql, format, bound);
        return { body: result.bytes, summary: result.summary, format, contentType };
      }
      if (stream.first.done) return { body: new Uint8Array(0), summary: streamSummary(0), format, contentType };
      const body = streamBody(stream, handOff(), { version: engine.version, exceptionTag, active: streams });
      return { body, summary: streamSummary(stream.first.numRows), format, contentType };
    });
  }

  /**
   * Gives `work` the engine and a connection of its own (or the session's) with the request's database and
   * settings; both are given back when `work` ends, unless it hands them off to a stream that ends later.
   */
  async function withConnection<T>(
    params: QueryParams,
    settings: Record<string, string>,
    work: (conn: Session, handOff: () => () => void) => Promise<T>,
  ): Promise<T> {
    const release = await engine.exclusive();
    let conn: Session | undefined;
    let handedOff = false;
    const finish = () => {
      if (params.sessionId) deps.sessions.release(params.sessionId);
      else conn?.close();
      release();
    };
    try {
      conn = params.sessionId
        ? deps.sessions.acquire(params.sessionId, params.sessionCheck, params.sessionTimeoutSeconds)
        : engine.connect();
      await engine.prepare(conn, params.database, settings);
      return await work(conn, () => {
        handedOff = true;
        return finish;
      });
    } finally {
      if (!handedOff) finish();
    }
  }
}

interface Reply {
  body: Uint8Array | ReadableStream<Uint8Array>;
  summary: Summary;
  format: string;
  contentType: string;
}

/** `param_*` values for the engine, if the request has any (`{x:Type}` in a query or in VALUES data). */
function boundParams(params: QueryParams): Record<string, string> | undefined {
  return Object.keys(params.params).length > 0 ? params.params : undefined;
}

function streamSummary(rows: number): Summary {
  return { readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: rows, resultBytes: 0, elapsedNs: 0 };
}

/** 16 lowercase letters, like ClickHouse's tags. */
function randomTag(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => String.fromCharCode(97 + (b % 26))).join("");
}

const gzipStream = () => new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;

function replyHeaders(queryId: string, format: string, contentType: string, summary: Summary, version: string, exceptionTag: string): Headers {
  return new Headers({
    "content-type": contentType,
    "x-clickhouse-query-id": queryId,
    "x-clickhouse-format": format,
    "x-clickhouse-timezone": Intl.DateTimeFormat().resolvedOptions().timeZone,
    "x-clickhouse-server-display-name": "clickhouse-dev",
    "x-clickhouse-summary": JSON.stringify({
      read_rows: String(summary.readRows),
      read_bytes: String(summary.readBytes),
      written_rows: String(summary.writtenRows),
      written_bytes: String(summary.writtenBytes),
      total_rows_to_read: String(summary.readRows),
      result_rows: String(summary.resultRows),
      result_bytes: String(summary.resultBytes),
      elapsed_ns: String(summary.elapsedNs),
    }),
    "x-clickhouse-version": version,
    "x-clickhouse-exception-tag": exceptionTag,
  });
}

/** As ClickHouse answers an error: one `Code: N. DB::Exception: …` body, compressed if the client asked for it. */
function errorResponse(
  error: ClickHouseError,
  reply: { queryId: string; version: string; exceptionTag: string; gzip: boolean },
): Response {
  const body = new TextEncoder().encode(error.body(reply.version));
  return new Response(reply.gzip ? gzipSync(body) : body, {
    status: httpStatusFor(error),
    headers: {
      "content-type": plainText,
      "x-clickhouse-exception-code": String(error.code),
      ...(reply.queryId ? { "x-clickhouse-query-id": reply.queryId } : {}),
      "x-clickhouse-server-display-name": "clickhouse-dev",
      "x-clickhouse-exception-tag": reply.exceptionTag,
      ...(reply.gzip ? { "content-encoding": "gzip" } : {}),
    },
  });
}
