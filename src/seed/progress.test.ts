import { expect, test } from "bun:test";
import { progressBar, progressLine } from "./progress.ts";

test("the line shows done / total, the rate and the time left", () => {
  expect(progressLine("events", 250_000, 1_000_000, 50_000, 15)).toBe("events [######..................] 250,000/1,000,000 50,000/s ETA 15s   ");
  expect(progressLine("events", 0, 10, 0, Infinity)).toBe("events [........................] 0/10 0/s ETA ?   ");
  expect(progressLine("events", 10, 100, 1, 90)).toBe("events [##......................] 10/100 1/s ETA 1m30s   ");
});

test("the bar redraws one line in place and ends it when finished", () => {
  let clock = 0;
  const written: string[] = [];
  const bar = progressBar("people", 4, (text) => written.push(text), () => clock);
  clock = 1000;
  bar.update(1);
  clock = 1100;
  bar.update(2); // within 200 ms of the last draw: skipped
  clock = 2000;
  bar.update(4);
  bar.finish();
  expect(written).toEqual([
    "\rpeople [######..................] 1/4 1/s ETA 3s   ",
    "\rpeople [########################] 4/4 2/s ETA 0s   ",
    "\rpeople [########################] 4/4 2/s ETA 0s   ",
    "\n",
  ]);
});
