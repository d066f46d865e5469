// CORS for the API the dashboard calls from its own origin (dashboard, shared and public services): only the
// origins in PUG_CORS_ORIGINS, with credentials, `authorization` and `x-project-id` allowed. Any other origin gets
// no CORS headers, so browsers keep its pages from reading the answers. Servers calling with a private key send
// no Origin and are not affected.

import type { MiddlewareHandler } from "hono";

const allowHeaders = "content-type, connect-protocol-version, connect-timeout-ms, authorization, x-project-id, x-api-key";

export function apiCors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async function apiCorsHeaders(c, next) {
    const origin = c.req.header("origin");
    const granted = origin !== undefined && allowed.has(origin);
    if (c.req.method === "OPTIONS") {
      if (!granted) return c.body(null, 204, { vary: "Origin" });
      return c.body(null, 204, {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "POST, GET, OPTIONS",
        "access-control-allow-headers": allowHeaders,
        "access-control-max-age": "7200",
        vary: "Origin",
      });
    }
    await next();
    c.res.headers.append("vary", "Origin");
    if (granted) {
      c.res.headers.set("access-control-allow-origin", origin);
      c.res.headers.set("access-control-allow-credentials", "true");
      c.res.headers.set("access-control-expose-headers", "grpc-status, grpc-message, connect-content-encoding");
    }
  };
}
