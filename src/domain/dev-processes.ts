// How `pug dev` spreads its roles over child processes: several API servers sharing one port, events workers,
// and the light roles (profile, email, scheduler) together in one process. Pure: the caller gives the core count.

export type DevProcessesSetting = { kind: "auto" } | { kind: "single" } | { kind: "counts"; servers: number; events: number };

export interface DevProcess {
  /** Unique and stable across restarts: `server-1`, `events-1`, `light-1`; logged as the `process` field. */
  name: string;
  /** The roles it runs, in the order they start. */
  roles: string[];
  /** Processes of an earlier tier are stopped first: 0 takes work from clients, 1 drains the queues. */
  stopTier: 0 | 1;
}

export const LIGHT_ROLES = ["profile", "email", "scheduler"] as const;

/**
 * Half the cores serve HTTP (intake is the busiest role: it parses, validates and publishes every request), a
 * quarter write events (extra events workers share the partitions; with one partition they stand by), and one
 * process holds the roles that are idle most of the time. On 2 cores: one of each.
 */
export function autoCounts(cores: number): { servers: number; events: number } {
  const n = Math.max(1, Math.floor(cores));
  return { servers: Math.max(1, Math.floor(n / 2)), events: Math.max(1, Math.floor(n / 4)) };
}

/** The child processes to run, or undefined for `single` (every role in the `pug dev` process itself). */
export function devProcessPlan(setting: DevProcessesSetting, cores: number): DevProcess[] | undefined {
  if (setting.kind === "single") return undefined;
  const { servers, events } = setting.kind === "counts" ? setting : autoCounts(cores);
  const numbered = (role: string, count: number, stopTier: 0 | 1): DevProcess[] =>
    Array.from({ length: count }, (_, i) => ({ name: `${role}-${i + 1}`, roles: [role], stopTier }));
  return [...numbered("server", servers, 0), ...numbered("events", events, 1), { name: "light-1", roles: [...LIGHT_ROLES], stopTier: 1 }];
}

/** Parses PUG_DEV_PROCESSES: `auto`, `single`, or counts like `server=2,events=1` (a missing role counts 1). */
export function parseDevProcesses(text: string): DevProcessesSetting | undefined {
  const value = text.trim();
  if (value === "auto" || value === "") return { kind: "auto" };
  if (value === "single") return { kind: "single" };
  const counts = { servers: 1, events: 1 };
  for (const entry of value.split(",").map((e) => e.trim()).filter(Boolean)) {
    const match = /^(server|events)=(\d{1,3})$/.exec(entry);
    if (!match || Number(match[2]) < 1) return undefined;
    counts[match[1] === "server" ? "servers" : "events"] = Number(match[2]);
  }
  return { kind: "counts", ...counts };
}
