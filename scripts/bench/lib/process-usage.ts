// CPU seconds and resident memory of processes, read from /proc: of one process, of a process and all its
// descendants (a `pug dev` that runs its roles as child processes), and of the servers a benchmark runs against.

import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses; the fields after its closing ") " do not.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ESRCH") return undefined;
    throw error;
  }
}

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : undefined;
}

/** CPU seconds the whole machine has spent busy (all cores, not idle or waiting on I/O) since boot. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** A process's resident memory now (VmRSS), in MB, or undefined once it is gone. */
export function processRssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The process and every descendant alive now (children are listed per thread in /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${found[i]}/task`);
    } catch {
      continue; // exited while we walked the tree
    }
    for (const tid of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${found[i]}/task/${tid}/children`, "utf8");
      } catch {
        continue; // the thread ended
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean)) found.push(Number(child));
    }
  }
  return found;
}

/** Pids of the processes whose command line (arguments joined by spaces) matches. */
export function pidsMatching(pattern: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (pattern.test(readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim())) pids.push(Number(entry));
    } catch {
      // exited between the listing and the read
    }
  }
  return pids;
}

export interface CpuUsage {
  groups: Record<string, number>;
  machine: number;
  wallSeconds: number;
}

/**
 * CPU seconds used by named groups of processes over a window. Each group's pids are looked up again at every
 * sample, so processes that start within the window (a Postgres backend, a worker's child) count from zero,
 * and one that exits keeps what it had used at its last sample.
 */
export class CpuMeter {
  private readonly first = new Map<string, Map<number, number>>();
  private readonly last = new Map<string, Map<number, number>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private machineAtStart = 0;
  private startedAt = 0;

  constructor(private readonly groups: Record<string, () => number[]>, private readonly everyMs = 500) {}

  start(): this {
    for (const name of Object.keys(this.groups)) this.first.set(name, new Map());
    this.sample(true);
    this.machineAtStart = machineBusySeconds();
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.sample(false), this.everyMs);
    return this;
  }

  /** Stops sampling; returns CPU seconds per group, and the machine's busy CPU seconds over the window (wall). */
  stop(): CpuUsage {
    clearInterval(this.timer);
    this.sample(false);
    const machine = machineBusySeconds() - this.machineAtStart;
    const groups = Object.fromEntries(Object.keys(this.groups).map((name) => {
      const first = this.first.get(name)!;
      let total = 0;
      for (const [pid, cpu] of this.last.get(name) ?? []) total += cpu - (first.get(pid) ?? 0);
      return [name, total];
    }));
    return { groups, machine, wallSeconds: (performance.now() - this.startedAt) / 1000 };
  }

  private sample(initial: boolean) {
    for (const [name, pidsOf] of Object.entries(this.groups)) {
      const last = this.last.get(name) ?? new Map<number, number>();
      this.last.set(name, last);
      for (const pid of pidsOf()) {
        const cpu = processCpuSeconds(pid);
        if (cpu === undefined) continue;
        if (initial) this.first.get(name)!.set(pid, cpu);
        last.set(pid, cpu);
      }
    }
  }
}

/** Samples the summed VmRSS of a set of processes every `everyMs` and keeps the peaks. */
export class RssSampler {
  peakSumMb = 0;
  peakOneMb = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly pids: () => number[], private readonly everyMs = 100) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.sample();
    return this;
  }

  stop(): { peakSumMb: number; peakOneMb: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakSumMb: this.peakSumMb, peakOneMb: this.peakOneMb };
  }

  private sample() {
    let sum = 0;
    for (const pid of this.pids()) {
      const rss = processRssMb(pid) ?? 0;
      sum += rss;
      this.peakOneMb = Math.max(this.peakOneMb, rss);
    }
    this.peakSumMb = Math.max(this.peakSumMb, sum);
  }
}
