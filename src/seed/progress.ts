// A progress bar on one updating line: done / total, rate and time left. Redrawn at most a few times a second;
// `finish` ends the line.

export interface Progress {
  /** `total` when it is known only once work has begun. */
  update(done: number, total?: number): void;
  finish(): void;
}

export function progressBar(label: string, total: number, write: (text: string) => void, now = () => performance.now()): Progress {
  const started = now();
  let lastDrawn = -Infinity;
  let current = 0;
  const draw = () => {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = current / seconds;
    const left = rate > 0 ? (total - current) / rate : Infinity;
    write(`\r${progressLine(label, current, total, rate, left)}`);
  };
  return {
    update(done, newTotal) {
      current = done;
      if (newTotal !== undefined) total = newTotal;
      if (now() - lastDrawn < 200 && done < total) return;
      lastDrawn = now();
      draw();
    },
    finish() {
      draw();
      write("\n");
    },
  };
}

export function progressLine(label: string, done: number, total: number, perSecond: number, secondsLeft: number): string {
  const width = 24;
  const filled = total > 0 ? Math.round((width * done) / total) : width;
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  const eta = Number.isFinite(secondsLeft) ? `ETA ${formatSeconds(secondsLeft)}` : "ETA ?";
  return `${label} [${bar}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${Math.round(perSecond).toLocaleString("en-US")}/s ${eta}   `;
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s` : `${whole}s`;
}
