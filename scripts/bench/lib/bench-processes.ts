// The processes whose CPU a benchmark reports: the servers of the dev infrastructure (shared with anything else
// running on the machine, so their figures include others' work) and the benchmark's own.

import { readFileSync } from "node:fs";
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

/** A part of another group (its CPU is already in that group's): named `<group> › <part>`. */
export const partOf = (group: string, part: string) => `${group} › ${part}`;
export const isPart = (name: string) => name.includes(" › ");

const childName = (pid: number): string | undefined => {
  try {
    return /(?:^| )--child (\S+)/.exec(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "))?.[1];
  } catch {
    return undefined; // exited
  }
};

/**
 * `pug dev`'s child processes (`pug dev --child NAME`, none when it runs every role in one process), as parts of
 * the group `group`: one per name alive now, each found again on every sample (a restarted child has a new pid).
 */
export function devChildren(devPid: number, group: string): ProcessGroups {
  const children = () => processTree(devPid).slice(1).map((pid) => ({ pid, name: childName(pid) }));
  const names = new Set(children().map((c) => c.name).filter((name): name is string => name !== undefined));
  return Object.fromEntries([...names].map((name) => [partOf(group, name), () => children().filter((c) => c.name === name).flatMap((c) => processTree(c.pid))]));
}
