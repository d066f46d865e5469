// ClickHouse errors as the HTTP interface reports them: `Code: N. DB::Exception: … (NAME)`, a status derived
// from the error name, and the numeric code in `X-ClickHouse-Exception-Code`.

export class ClickHouseError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = "ClickHouseError";
  }

  /** The body ClickHouse writes, which `@clickhouse/client` parses back into its own ClickHouseError. */
  body(version: string): string {
    return `Code: ${this.code}. DB::Exception: ${this.message} (${this.type}) (version ${version})\n`;
  }
}

export const errors = {
  authenticationFailed: (user: string) =>
    new ClickHouseError(
      516,
      "AUTHENTICATION_FAILED",
      `${user}: Authentication failed: password is incorrect, or there is no user with such name.`,
    ),
  emptyQuery: () => new ClickHouseError(62, "SYNTAX_ERROR", "Empty query."),
  multiStatement: () =>
    new ClickHouseError(62, "SYNTAX_ERROR", "Multi-statements are not allowed."),
  readonlyGet: () =>
    new ClickHouseError(164, "READONLY", "Cannot execute query in readonly mode. Use POST for queries that write."),
  sessionNotFound: (id: string) => new ClickHouseError(372, "SESSION_NOT_FOUND", `Session ${id} not found.`),
  unsupported: (what: string) => new ClickHouseError(48, "NOT_IMPLEMENTED", `${what} is not supported by the dev server.`),
  badRequest: (what: string) => new ClickHouseError(36, "BAD_ARGUMENTS", what),
  unknownSetting: (name: string) => new ClickHouseError(115, "UNKNOWN_SETTING", `Unknown setting '${name}'.`),
  noHandler: (path: string) => new ClickHouseError(0, "UNKNOWN_HANDLER", `There is no handle ${path}.`),
  shuttingDown: () => new ClickHouseError(210, "NETWORK_ERROR", "Server is shutting down."),
};

const codePrefix = /^(?:Query failed: )?Code: (\d+)\. DB::Exception: /;

/**
 * Turns whatever the engine threw into a ClickHouseError, keeping its code and name. chDB sometimes wraps one
 * exception in another (`Code: 108. DB::Exception: Code: 108. DB::Exception: … (NAME) (version …). (NAME)`):
 * ClickHouse writes each error once, so the wrapping is taken off.
 */
export function fromEngineError(error: unknown): ClickHouseError {
  if (error instanceof ClickHouseError) return error;
  const text = (error instanceof Error ? error.message : String(error)).trim();
  const head = codePrefix.exec(text);
  const name = /\(([A-Z0-9_]{3,})\)\.?$/.exec(text)?.[1];
  if (head && name) {
    let message = text.slice(head[0].length);
    for (let inner = codePrefix.exec(message); inner; inner = codePrefix.exec(message)) message = message.slice(inner[0].length);
    const tail = new RegExp(`\\s*(?:\\(${name}\\)|\\(version [^()]*(?:\\([^()]*\\))?\\))\\.?$`);
    for (let stripped = message.replace(tail, ""); stripped !== message; stripped = message.replace(tail, "")) message = stripped;
    return new ClickHouseError(Number(head[1]), name, message);
  }
  const code = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  return new ClickHouseError(typeof code === "number" ? code : 1001, "STD_EXCEPTION", text);
}

const byType: Record<string, number> = {};
const mapStatus = (status: number, types: string[]) => types.forEach((type) => (byType[type] = status));
mapStatus(401, ["REQUIRED_PASSWORD"]);
mapStatus(403, ["AUTHENTICATION_FAILED", "UNKNOWN_USER", "WRONG_PASSWORD", "ACCESS_DENIED", "READONLY"]);
mapStatus(400, [
  "BAD_ARGUMENTS", "SYNTAX_ERROR", "TYPE_MISMATCH", "INCORRECT_DATA", "BAD_QUERY_PARAMETER", "UNKNOWN_QUERY_PARAMETER",
  "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE", "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE",
  "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER", "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID",
  "CANNOT_PARSE_BOOL", "ILLEGAL_TYPE_OF_ARGUMENT", "NUMBER_OF_ARGUMENTS_DOESNT_MATCH", "TOO_DEEP_AST", "TOO_BIG_AST",
  "UNEXPECTED_AST_STRUCTURE", "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE", "ILLEGAL_COLUMN",
]);
mapStatus(404, [
  "UNKNOWN_TABLE", "UNKNOWN_DATABASE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
  "UNKNOWN_SETTING", "UNKNOWN_FORMAT", "UNKNOWN_AGGREGATE_FUNCTION", "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_HANDLER",
  "SESSION_NOT_FOUND",
]);
mapStatus(413, ["QUERY_IS_TOO_LARGE"]);
mapStatus(501, ["NOT_IMPLEMENTED"]);
mapStatus(503, ["SOCKET_TIMEOUT", "NETWORK_ERROR"]);

/** The HTTP status ClickHouse answers an error of this name with. */
export function httpStatusFor(error: ClickHouseError): number {
  return byType[error.type] ?? 500;
}
