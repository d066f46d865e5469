// One table of figures: a row per figure (in the order first measured), a column per checkout.

export class FigureTable {
  private readonly rows = new Map<string, Map<string, string>>();
  private readonly columns: string[] = [];

  set(column: string, figure: string, value: string): void {
    if (!this.columns.includes(column)) this.columns.push(column);
    const row = this.rows.get(figure) ?? new Map<string, string>();
    this.rows.set(figure, row);
    row.set(column, value);
  }

  /** A Markdown table, padded so it also reads as plain text. */
  render(): string {
    const header = ["figure", ...this.columns];
    const body = [...this.rows].map(([figure, values]) => [figure, ...this.columns.map((c) => values.get(c) ?? "–")]);
    const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
    return [line(header), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`, ...body.map(line)].join("\n");
  }
}

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a"),
  fixed: (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a"),
};
