// ClickHouse's HTTP interface in front of the chDB engine, as `@clickhouse/client` and curl use it.

import { brotliDecompressSync, gunzipSync, gzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import type { Session } from "chdb";
import type { Logger } from "../../../src/logger.ts";
import type { Engine, RowStream, Summary } from "./engine.ts";
import { ClickHouseError, errors, fromEngineError, httpStatusFor } from "./errors.ts";
import { planQuery } from "./query-plan.ts";
import { type Credentials, isTrue, parseCredentials, parseQueryParams, type QueryParams } from "./request-params.ts";
import type { SessionRegistry } from "./sessions.ts";
import { contentTypeFor } from "./sql-text.ts";

export interface HandlerDeps {
  engine: Engine;
  sessions: SessionRegistry;
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
    try {
      if (url.pathname === "/ping") return ok();
      if (url.pathname !== "/") throw errors.noHandler(url.pathname);
      if ((req.method === "GET" || req.method === "HEAD") && !url.searchParams.has("query")) return ok();
      if (deps.isStopping()) throw errors.shuttingDown();

      const given = parseCredentials(req.headers, url);
      if (given.user !== deps.credentials.user || given.password !== deps.credentials.password) {
        throw errors.authenticationFailed(given.user);
      }
      const params = parseQueryParams(url);
      queryId = params.queryId;
      const body = decodeBody(new Uint8Array(await req.arrayBuffer()), req.headers.get("content-encoding"));
      const plan = planQuery(req.method, params.query, body, params.defaultFormat);
      const settings = plan.readonly ? { ...params.settings, readonly: "2" } : params.settings;
      const gzip = isTrue(params.settings.enable_http_compression) && /\bgzip\b/i.test(req.headers.get("accept-encoding") ?? "");

      const reply = await execute(params, settings, plan.sql, plan.insertData, plan.outputFormat);
      const headers = replyHeaders(queryId, plan.outputFormat, reply.summary, engine.version);
      log.debug("query", { query_id: queryId, ms: Math.round(performance.now() - started), streamed: reply.body instanceof ReadableStream });
      if (gzip) headers.set("content-encoding", "gzip");
      if (reply.body instanceof ReadableStream) {
        return new Response(gzip ? reply.body.pipeThrough(gzipStream()) : reply.body, { headers });
      }
      return new Response(gzip ? gzipSync(reply.body) : reply.body, { headers });
    } catch (thrown) {
      const error = fromEngineError(thrown);
      log.info("query failed", { query_id: queryId, code: error.code, type: error.type, error: error.message });
      return errorResponse(error, queryId, engine.version);
    }
  };
  return Object.assign(handle, { endStreams: () => [...streams].forEach((end) => end()) });

  /** Runs one query with the engine to itself; a streamed result keeps it until the stream ends. */
  async function execute(
    params: QueryParams,
    settings: Record<string, string>,
    sql: string,
    insertData: Uint8Array | undefined,
    format: string,
  ): Promise<{ body: Uint8Array | ReadableStream<Uint8Array>; summary: Summary }> {
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
      const bound = Object.keys(params.params).length > 0 ? params.params : undefined;
      if (insertData) return { body: new Uint8Array(0), summary: await engine.insert(conn, sql, insertData) };
      const stream = await engine.stream(conn, sql, format, bound);
      if (!stream) {
        const result = await engine.run(conn, sql, format, bound);
        return { body: result.bytes, summary: result.summary };
      }
      if (stream.first.done) return { body: new Uint8Array(0), summary: streamSummary(0) };
      handedOff = true;
      return { body: streamBody(stream, finish, engine.version, streams), summary: streamSummary(stream.first.numRows) };
    } finally {
      if (!handedOff) finish();
    }
  }
}

function streamSummary(rows: number): Summary {
  return { readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: rows, resultBytes: 0, elapsedNs: 0 };
}

/** Pulls one block at a time as the client reads; a client that goes away cancels the query. */
function streamBody(stream: RowStream, finish: () => void, version: string, active: Set<() => void>): ReadableStream<Uint8Array> {
  let pending: typeof stream.first | undefined = stream.first;
  let finished = false;
  const end = () => {
    if (finished) return;
    finished = true;
    active.delete(abort);
    finish();
  };
  let abort = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        abort = () => {
          stream.cancel();
          end();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        active.add(abort);
      },
      async pull(controller) {
        if (finished) return;
        try {
          for (;;) {
            const chunk = pending ?? (await stream.next());
            pending = undefined;
            if (chunk.done) {
              controller.close();
              end();
              return;
            }
            if (chunk.bytes.byteLength > 0) {
              controller.enqueue(chunk.bytes);
              return;
            }
          }
        } catch (thrown) {
          // Headers are gone already: like ClickHouse, append the exception to the body.
          controller.enqueue(new TextEncoder().encode("\n" + fromEngineError(thrown).body(version)));
          controller.close();
          end();
        }
      },
      cancel() {
        stream.cancel();
        end();
      },
    },
    { highWaterMark: 0 },
  );
}

const gzipStream = () => new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;

function decodeBody(raw: Uint8Array, encoding: string | null): Uint8Array {
  if (!encoding || raw.byteLength === 0) return raw;
  switch (encoding.trim().toLowerCase()) {
    case "identity":
      return raw;
    case "gzip":
    case "x-gzip":
      return gunzipSync(raw);
    case "deflate":
      return inflateSync(raw);
    case "br":
      return brotliDecompressSync(raw);
    case "zstd":
      return zstdDecompressSync(raw);
    default:
      throw new ClickHouseError(1, "UNSUPPORTED_METHOD", `Unknown Content-Encoding: ${encoding}`);
  }
}

function replyHeaders(queryId: string, format: string, summary: Summary, version: string): Headers {
  return new Headers({
    "content-type": contentTypeFor(format),
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
  });
}

function errorResponse(error: ClickHouseError, queryId: string, version: string): Response {
  return new Response(error.body(version), {
    status: httpStatusFor(error),
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      "x-clickhouse-exception-code": String(error.code),
      ...(queryId ? { "x-clickhouse-query-id": queryId } : {}),
      "x-clickhouse-server-display-name": "clickhouse-dev",
    },
  });
}
