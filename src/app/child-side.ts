// The child's half of `pug dev`: it tells the parent when its roles started and where a server listens, answers
// metrics requests, and stops when told to, on SIGTERM, or when the channel to the parent closes (the parent died,
// even by kill -9: a child never outlives it). SIGINT is left to the parent: Ctrl-C in a terminal reaches the
// whole process group at once, and the parent stops its children in order (servers first).

import type { Logger } from "../logger.ts";
import type { App } from "./app.ts";
import type { ChildMessage, ParentMessage } from "./child-messages.ts";

export function tellParent(message: ChildMessage): void {
  process.send?.(message);
}

/** Resolves with why the child must stop; answers the parent's metrics requests meanwhile. */
export function childStopRequested(app: App): Promise<string> {
  if (!process.send) throw new Error("`pug dev --child` runs only as a child process of `pug dev` (no IPC channel)");
  const log: Logger = app.log;
  return new Promise((resolve) => {
    const stop = (reason: string) => {
      process.off("SIGTERM", onTerm);
      resolve(reason);
    };
    const onTerm = () => stop("SIGTERM");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", () => log.debug("SIGINT left to the pug dev process, which stops its children in order"));
    process.on("disconnect", () => stop("parent gone"));
    process.on("message", (message: ParentMessage) => {
      if (message.type === "stop") stop("asked by the parent");
      else if (message.type === "metrics") {
        void app.metrics.registry.getMetricsAsJSON().then(
          (metrics) => tellParent({ type: "metrics", id: message.id, metrics }),
          (error: unknown) => log.error("cannot read this process's metrics for the parent", { error }),
        );
      }
    });
  });
}
