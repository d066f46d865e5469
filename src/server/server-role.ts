// `pug server`: the HTTP and Connect API. On stop it closes the listener, lets requests in flight finish, then
// returns.

import type { App } from "../app/app.ts";
import type { Role } from "../app/supervisor.ts";
import { untilAborted } from "../domain/backoff.ts";
import { createHttpApp } from "./http-app.ts";

export function serverRole(app: App, onListening?: (url: string) => void): Role {
  return {
    name: "server",
    async run(signal) {
      const http = createHttpApp(app);
      const server = Bun.serve({ hostname: app.config.server.host, port: app.config.server.port, fetch: http.fetch });
      const host = server.hostname === "0.0.0.0" || server.hostname === "::" ? "127.0.0.1" : server.hostname;
      const url = `http://${host}:${server.port}`;
      app.log.info("listening", { role: "server", url });
      onListening?.(url);
      await untilAborted(signal);
      await server.stop(false);
    },
  };
}
