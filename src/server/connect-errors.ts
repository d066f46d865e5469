// The one place errors become responses on the wire. Connect services throw ConnectError (its code is a Connect
// code); HTTP middleware in front of them answers with the same JSON shape, so every client sees one format.

import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";

export { Code, ConnectError };

/** A Connect error response, optionally with an HTTP status other than the code's own (e.g. 413). */
export function connectErrorResponse(error: ConnectError, status = codeToHttpStatus(error.code), extraHeaders?: Record<string, string>): Response {
  const headers = new Headers(extraHeaders);
  headers.set("content-type", "application/json");
  error.metadata.forEach((value, key) => headers.set(key, value));
  return new Response(JSON.stringify({ code: codeToString(error.code), message: error.rawMessage }), { status, headers });
}
