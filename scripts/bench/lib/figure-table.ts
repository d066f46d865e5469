// One table of figures: a row per figure (in the order first measured), a column per checkout.

import { isPart } from "./bench-processes.ts";
import type { CpuUsage } from "./process-usage.ts";

export class FigureTable {
  private readonly rows = new Map<string, Map<string, string>>();
  private readonly columns: string[] = [];
  private readonly targets = new Map<string, string>();

  /** A new row goes last, or with `near`, after the last row whose name starts with `near`. */
  set(column: string, figure: string, value: string, near?: string): void {
    if (!this.columns.includes(column)) this.columns.push(column);
    if (!this.rows.has(figure)) {
      const names = [...this.rows.keys()];
      const at = near === undefined ? -1 : names.findLastIndex((name) => name.startsWith(near));
      if (at >= 0 && at < names.length - 1) {
        const rows = [...this.rows];
        rows.splice(at + 1, 0, [figure, new Map()]);
        this.rows.clear();
        for (const [name, row] of rows) this.rows.set(name, row);
      } else this.rows.set(figure, new Map());
    }
    this.rows.get(figure)!.set(column, value);
  }

  /** The target for a figure, shown in a last column. */
  target(figure: string, value: string): void {
    this.targets.set(figure, value);
  }

  /** A Markdown table, padded so it also reads as plain text. */
  render(): string {
    const withTargets = [...this.rows.keys()].some((figure) => this.targets.has(figure));
    const header = ["figure", ...this.columns, ...(withTargets ? ["target"] : [])];
    const body = [...this.rows].map(([figure, values]) => [figure, ...this.columns.map((c) => values.get(c) ?? "–"), ...(withTargets ? [this.targets.get(figure) ?? ""] : [])]);
    const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
    return [line(header), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`, ...body.map(line)].join("\n");
  }
}

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a"),
  fixed: (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a"),
};

/**
 * A row per process group (and per part of one, `group › part`): CPU seconds over the phase and per event (or
 * request); then whatever else kept the
 * machine busy meanwhile (other work on a shared machine), and the share of all cores in use.
 */
export function cpuRows(table: FigureTable, column: string, phase: string, cpu: CpuUsage, per: number, unit: string): void {
  for (const [name, seconds] of Object.entries(cpu.groups)) {
    // A part's row (a pug dev child that only one checkout has) stands beside its group's row.
    const near = isPart(name) ? `${phase}: CPU ${name.split(" › ")[0]}` : undefined;
    table.set(column, `${phase}: CPU ${name}, s (µs/${unit})`, `${fmt.fixed(seconds)} (${fmt.int((seconds / per) * 1e6)})`, near);
  }
  const ours = Object.entries(cpu.groups).filter(([name]) => !isPart(name)).reduce((sum, [, seconds]) => sum + seconds, 0);
  table.set(column, `${phase}: CPU of other processes, s`, fmt.fixed(Math.max(0, cpu.machine - ours)));
  table.set(column, `${phase}: machine busy, % of ${navigator.hardwareConcurrency} cores`, fmt.int((cpu.machine / (cpu.wallSeconds * navigator.hardwareConcurrency)) * 100));
}
