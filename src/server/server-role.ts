// `pug server`: the HTTP and Connect API. On stop it closes the listener, lets requests in flight finish, then
// returns.

import type { App } from "../app/app.ts";
import type { Role } from "../app/supervisor.ts";
import { untilAborted } from "../domain/backoff.ts";
import { boundUrl } from "./bound-url.ts";
import { unhandledErrorResponse } from "./connect-errors.ts";
import { createHttpApp } from "./http-app.ts";

export interface ServerRoleOptions {
  onListening?: (url: string) => void;
  /**
   * Whether the port may be bound by other processes too (SO_REUSEPORT: Linux then spreads the connections over
   * them): `pug dev`'s server processes, or PUG_SERVER_SHARE_PORT. Otherwise a second server started on a port in
   * use fails to bind (its run fails with EADDRINUSE and the supervisor retries), instead of silently taking a
   * share of the traffic.
   */
  sharePort: boolean;
  /** Off only in the test that compares the fast path of binary BatchCreate with the usual one (http-app.ts). */
  fastIntake?: boolean;
}

export function serverRole(app: App, { onListening, sharePort, fastIntake }: ServerRoleOptions): Role {
  return {
    name: "server",
    async run(signal) {
      // Ends the background work of this run (the API-key snapshot) however the run ends, crash included.
      const thisRun = new AbortController();
      try {
        const http = createHttpApp(app, thisRun.signal, { fastIntake });
        const server = Bun.serve({
          hostname: app.config.server.host,
          port: app.config.server.port,
          reusePort: sharePort,
          routes: http.routes,
          fetch: http.fetch,
          // Reached only by errors Hono's onError did not see; Bun's default would print a multi-line dump.
          error(error) {
            app.log.error("request failed outside the router", { role: "server", error, stack: error.stack });
            return unhandledErrorResponse(error);
          },
        });
        const url = boundUrl(server);
        app.log.info("listening", { role: "server", url });
        onListening?.(url);
        await untilAborted(signal);
        await server.stop(false);
      } finally {
        thisRun.abort();
      }
    },
  };
}
