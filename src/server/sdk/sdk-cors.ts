// CORS for the SDK services. The request's own Origin is echoed with credentials allowed, never `*`:
// sendBeacon always sends credentials, and browsers drop a credentialed beacon answered with a wildcard.
// Keys, not cookies, authenticate these calls, so this grants nothing.

import type { MiddlewareHandler } from "hono";

const allowHeaders = "content-type, connect-protocol-version, connect-timeout-ms, x-api-key";

export function sdkCors(): MiddlewareHandler {
  return async function sdkCorsHeaders(c, next) {
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS") {
      if (!origin) return c.body(null, 204);
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
    if (origin) {
      c.res.headers.set("access-control-allow-origin", origin);
      c.res.headers.set("access-control-allow-credentials", "true");
      c.res.headers.set("access-control-expose-headers", "retry-after");
      c.res.headers.append("vary", "Origin");
    }
  };
}
