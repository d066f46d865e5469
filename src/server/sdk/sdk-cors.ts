// CORS for the SDK services. The request's own Origin is echoed with credentials allowed, never `*`:
// sendBeacon always sends credentials, and browsers drop a credentialed beacon answered with a wildcard.
// Keys, not cookies, authenticate these calls, so this grants nothing.

import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

const EXPOSE_HEADERS = ["retry-after"];

export function sdkCors(): MiddlewareHandler {
  return cors({
    origin: (origin) => origin || null,
    credentials: true,
    allowMethods: ["POST", "GET", "OPTIONS"],
    allowHeaders: ["content-type", "connect-protocol-version", "connect-timeout-ms", "x-api-key"],
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 7200,
  });
}

/**
 * The headers sdkCors() puts on the answer to a request other than a preflight, for the fast path of binary
 * BatchCreate (batch-create-fast.ts), which answers without Hono.
 */
export function sdkCorsHeaders(origin: string | null): Record<string, string> {
  const headers: Record<string, string> = origin ? { "access-control-allow-origin": origin } : {};
  headers["access-control-allow-credentials"] = "true";
  headers["access-control-expose-headers"] = EXPOSE_HEADERS.join(",");
  headers.vary = "Origin";
  return headers;
}
