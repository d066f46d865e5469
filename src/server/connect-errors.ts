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

/** True for the error a request body read throws when the client went away before sending all of it. */
export function isClientAbort(error: unknown): boolean {
  return (error instanceof DOMException || error instanceof Error) && error.name === "AbortError";
}

/** Nobody reads it (the client is gone), but access logs and metrics should tell it from a server error. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The answer to an error nothing else handled: a ConnectError as itself, a client that went away as 499, and
 * anything else as `internal` without details (those go to the log, not to the client).
 */
export function unhandledErrorResponse(error: unknown): Response {
  if (error instanceof ConnectError) return connectErrorResponse(error);
  if (isClientAbort(error)) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
  return connectErrorResponse(new ConnectError("internal error", Code.Internal));
}

/**
 * Two answers of connect-es that clients cannot act on, made explicit: a body that does not parse comes back as
 * `internal` (500), which SDKs retry forever, though it is the client's fault (so: invalid_argument, 400, with
 * the parser's explanation); and an unsupported content type is a 415 with an empty body (so: a Connect error
 * naming the types the server speaks).
 */
export async function explainedConnectResponse(response: Response, contentType: string | undefined, speaks: string): Promise<Response> {
  if (response.status === 415) {
    const body = await response.text();
    if (body !== "") return new Response(body, { status: response.status, headers: response.headers });
    const sent = contentType ? `content-type '${contentType}'` : "a request without content-type";
    return connectErrorResponse(new ConnectError(`${sent} is not supported; send ${speaks}`, Code.Unimplemented), 415);
  }
  if (response.status !== 500) return response;
  const body = await response.text();
  try {
    const error = JSON.parse(body) as { code?: string; message?: string };
    if (error.code === "internal" && /^(parse (binary|json)|cannot decode)/i.test(error.message ?? "")) {
      return connectErrorResponse(new ConnectError(`request body: ${error.message}`, Code.InvalidArgument));
    }
  } catch {
    // not a Connect error body: pass it on unchanged
  }
  return new Response(body, { status: response.status, headers: response.headers });
}
