// Bounds what a client may make the server read: the body as sent, and once gzip is undone. Answers with 413
// and a Connect error naming the limit; the error is invalid_argument so SDKs drop the batch instead of
// retrying something that can never fit. The buffered body is also left in `requestBody`, so intake can forward
// the bytes it was sent without encoding them again.

import type { MiddlewareHandler } from "hono";
import { gunzipSync } from "node:zlib";
import { Code, ConnectError, connectErrorResponse } from "../connect-errors.ts";

export interface BodyLimits {
  maxBodyBytes: number;
  maxDecodedBodyBytes: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
const tooLarge = (message: string) => connectErrorResponse(new ConnectError(message, Code.InvalidArgument), 413);

/**
 * What the middleware leaves for the handler: the body as buffered and gunzipped. The request's own body stream is
 * consumed by then; after a content-encoding the request is replaced by one with the decoded body and its length.
 */
export type BodyVariables = { requestBody?: Uint8Array };

export function bodyLimit(limits: BodyLimits): MiddlewareHandler<{ Variables: BodyVariables }> {
  return async function limitBody(c, next) {
    if (c.req.method !== "POST") return next();
    const body = await limitedBody(c.req.raw, limits);
    if (body instanceof Response) return body;

    c.set("requestBody", body);
    const encoding = c.req.header("content-encoding");
    if (encoding !== undefined) {
      // Whoever reads the request after this sees the body as decoded, without a content-encoding.
      const headers = new Headers(c.req.raw.headers);
      headers.delete("content-encoding");
      headers.set("content-length", String(body.byteLength));
      c.req.raw = new Request(c.req.raw.url, { method: "POST", headers, body });
    }
    return next();
  };
}

/**
 * The body of a POST, read within the limits and gunzipped, or the refusal to answer with. Shared by the middleware
 * and the fast path of binary BatchCreate (batch-create-fast.ts).
 */
export async function limitedBody(request: Request, limits: BodyLimits): Promise<Uint8Array | Response> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limits.maxBodyBytes) return tooLarge(`request body is ${mib(declared)}; the limit is ${mib(limits.maxBodyBytes)}`);

  const body = Number.isFinite(declared) ? new Uint8Array(await request.arrayBuffer()) : await readCapped(request, limits.maxBodyBytes);
  if (body === undefined) return tooLarge(`request body exceeds the limit of ${mib(limits.maxBodyBytes)}`);

  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding === "gzip") {
    let decoded: Uint8Array;
    try {
      decoded = gunzipSync(body, { maxOutputLength: limits.maxDecodedBodyBytes + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || /larger than/i.test((error as Error).message)) {
        return tooLarge(`request body decompresses to more than ${mib(limits.maxDecodedBodyBytes)}`);
      }
      return connectErrorResponse(new ConnectError("request body: not valid gzip", Code.InvalidArgument));
    }
    if (decoded.byteLength > limits.maxDecodedBodyBytes) return tooLarge(`request body decompresses to more than ${mib(limits.maxDecodedBodyBytes)}`);
    return decoded;
  }
  if (encoding && encoding !== "identity") {
    return connectErrorResponse(new ConnectError(`content-encoding '${encoding}' is not supported (use gzip or none)`, Code.Unimplemented), 415);
  }
  if (body.byteLength > limits.maxDecodedBodyBytes) {
    // Configured below the body limit: intake decodes a binary BatchCreate itself (events-intake.ts), so Connect's
    // readMaxBytes never sees it; the decoded limit holds here for every body.
    return tooLarge(`request body is ${mib(body.byteLength)}; the limit is ${mib(limits.maxDecodedBodyBytes)}`);
  }
  return body;
}

/**
 * A body without a content-length (chunked): read chunk by chunk, undefined as soon as it grows past `max` bytes.
 * One with a content-length within the limit is read whole: HTTP framing ends it at that length, and reading it
 * through the stream costs Bun several times more than the rest of a small request.
 */
async function readCapped(request: Request, max: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
