// Splits an HTTP request's URL and headers into what ClickHouse's HTTP interface gives them: credentials, the
// query, query parameters, and settings (every URL parameter that is not one of the HTTP interface's own).

import { errors } from "./errors.ts";

export interface Credentials {
  user: string;
  password: string;
}

export interface QueryParams {
  query: string | undefined;
  database: string | undefined;
  queryId: string;
  sessionId: string | undefined;
  sessionCheck: boolean;
  sessionTimeoutSeconds: number | undefined;
  defaultFormat: string;
  /** `param_x=…` values, still in the wire encoding the client sent (escaped text, `\N` for NULL). */
  params: Record<string, string>;
  settings: Record<string, string>;
}

/** URL parameters that belong to the HTTP interface and are never settings of the engine. */
const httpOnly = new Set([
  "query", "database", "query_id", "session_id", "session_check", "session_timeout", "default_format",
  "wait_end_of_query", "user", "password", "quota_key", "buffer_size", "stacktrace", "role", "compress",
  "decompress", "client_protocol_version", "default_database",
]);

export function parseQueryParams(url: URL): QueryParams {
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.startsWith("param_")) params[key.slice("param_".length)] = value;
    else if (!httpOnly.has(key)) settings[key] = value;
  }
  for (const flag of ["compress", "decompress"]) {
    if (isTrue(url.searchParams.get(flag))) throw errors.unsupported(`ClickHouse native compression (${flag}=1)`);
  }
  const timeout = url.searchParams.get("session_timeout");
  if (timeout !== null && !/^\d+$/.test(timeout)) throw errors.badRequest(`session_timeout must be whole seconds, got '${timeout}'.`);
  const get = (name: string) => url.searchParams.get(name) ?? undefined;
  return {
    query: get("query"),
    database: get("database") ?? get("default_database"),
    queryId: get("query_id") || crypto.randomUUID(),
    sessionId: get("session_id") || undefined,
    sessionCheck: isTrue(url.searchParams.get("session_check")),
    sessionTimeoutSeconds: timeout === null ? undefined : Number(timeout),
    defaultFormat: get("default_format") || "TabSeparated",
    params,
    settings,
  };
}

/** Basic auth, then the `X-ClickHouse-User`/`-Key` headers, then `user`/`password` URL parameters. */
export function parseCredentials(headers: Headers, url: URL): Credentials {
  const authorization = headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("basic ")) {
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1
      ? { user: decoded, password: "" }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const user = headers.get("x-clickhouse-user") ?? url.searchParams.get("user") ?? "default";
  const password = headers.get("x-clickhouse-key") ?? url.searchParams.get("password") ?? "";
  return { user: user || "default", password };
}

export function isTrue(value: string | null | undefined): boolean {
  return value === "1" || value?.toLowerCase() === "true";
}
