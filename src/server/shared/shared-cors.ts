// CORS for the services the dashboard calls from another origin. The dashboard authenticates with headers
// (a bearer token or a private key), never cookies, so no credentials are allowed and the origin is echoed.
// Which origins may call comes from configuration with the control plane (issue 11).

import type { MiddlewareHandler } from "hono";

const allowHeaders = "content-type, connect-protocol-version, connect-timeout-ms, authorization, x-project-id, x-api-key";

export function sharedCors(): MiddlewareHandler {
  return async function sharedCorsHeaders(c, next) {
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS") {
      const headers: Record<string, string> = origin
        ? { "access-control-allow-origin": origin, "access-control-allow-methods": "POST, GET, OPTIONS", "access-control-allow-headers": allowHeaders, "access-control-max-age": "7200", vary: "Origin" }
        : {};
      return c.body(null, 204, headers);
    }
    await next();
    if (origin) {
      c.res.headers.set("access-control-allow-origin", origin);
      c.res.headers.set("access-control-expose-headers", "grpc-status, grpc-message, connect-content-encoding");
      c.res.headers.append("vary", "Origin");
    }
  };
}
