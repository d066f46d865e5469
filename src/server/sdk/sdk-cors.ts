// CORS for the SDK services. The request's own Origin is echoed with credentials allowed, never `*`:
// sendBeacon always sends credentials, and browsers drop a credentialed beacon answered with a wildcard.
// Keys, not cookies, authenticate these calls, so this grants nothing.

import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

export function sdkCors(): MiddlewareHandler {
  return cors({
    origin: (origin) => origin || null,
    credentials: true,
    allowMethods: ["POST", "GET", "OPTIONS"],
    allowHeaders: ["content-type", "connect-protocol-version", "connect-timeout-ms", "x-api-key"],
    exposeHeaders: ["retry-after"],
    maxAge: 7200,
  });
}
