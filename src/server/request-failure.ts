// The answer to an error no handler expected: a client that went away mid-request is routine (slow mobile
// connections, closed tabs) and only counted; anything else is logged with its route. The client sees
// unhandledErrorResponse's answer either way.

import type { Metrics } from "../app/metrics.ts";
import type { Logger } from "../logger.ts";
import { isClientAbort, unhandledErrorResponse } from "./connect-errors.ts";

export function requestFailure(app: { metrics: Metrics; log: Logger }, route: string, method: string, error: unknown): Response {
  if (isClientAbort(error)) {
    app.metrics.httpAborted.inc({ route });
    app.log.debug("client went away before its request was read", { route });
  } else {
    app.log.error("request failed", { route, method, error, stack: error instanceof Error ? error.stack : undefined });
  }
  return unhandledErrorResponse(error);
}
