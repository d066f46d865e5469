// The processes whose CPU a benchmark reports: the servers of the dev infrastructure (shared with anything else
// running on the machine, so their figures include others' work) and the benchmark's own.

import { pidsMatching, processTree } from "./process-usage.ts";

export type ProcessGroups = Record<string, () => number[]>;

export function infraProcesses(clickhouseUrl: string): ProcessGroups {
  const port = new URL(clickhouseUrl).port || "8123";
  return {
    "nats-server": () => pidsMatching(/(^|\/)nats-server( |$)/),
    "clickhouse-dev": () => pidsMatching(new RegExp(`clickhouse-dev/main\\.ts .*--port ${port}( |$)`)),
    postgres: () => pidsMatching(/^(\S*\/)?postgres( |:|$)/),
    redis: () => pidsMatching(/(^|\/)redis-server( |$)/),
  };
}

/** Each pid with all its descendants, looked up anew on every call. */
export const treesOf = (pids: () => number[]) => () => pids().flatMap(processTree);

export const selfProcess = (): number[] => [process.pid];
