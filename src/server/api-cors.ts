// CORS for the API the dashboard calls from its own origin (dashboard, shared and public services): only the
// origins in PUG_CORS_ORIGINS, with credentials, `authorization` and `x-project-id` allowed. Any other origin gets
// no Access-Control-Allow-Origin, so browsers keep its pages from reading the answers. Servers calling with a
// private key send no Origin and are not affected.

import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

export function apiCors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ["POST", "GET", "OPTIONS"],
    allowHeaders: ["content-type", "connect-protocol-version", "connect-timeout-ms", "authorization", "x-project-id", "x-api-key"],
    exposeHeaders: ["grpc-status", "grpc-message", "connect-content-encoding"],
    maxAge: 7200,
  });
}
