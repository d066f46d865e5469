import { describe, expect, test } from "bun:test";
import { HeldBudget } from "./held-budget.ts";
import { HeldMessages } from "./held-messages.ts";
import type { HeldMessage } from "./types.ts";

const message = (seq: number, rows: number, bytes: number): HeldMessage<number> => ({ seq, subject: "s", data: new Uint8Array(bytes), conversion: { rows: new Array(rows).fill(0) } });

describe("held budget", () => {
  test("counts what every writer holds, is full at either limit, and tells listeners when room comes back", () => {
    const budget = new HeldBudget(10, 1_000);
    const a = new HeldMessages<number>(budget);
    const b = new HeldMessages<number>(budget);
    let released = 0;
    const stop = budget.onRelease(() => released++);
    a.add(message(1, 4, 100));
    b.add(message(7, 5, 100));
    expect([budget.rows, budget.bytes, budget.full]).toEqual([9, 200, false]);
    b.add(message(8, 1, 10));
    expect(budget.full).toBe(true);
    a.take(1);
    expect([budget.rows, budget.bytes, budget.full, released]).toEqual([6, 110, false, 1]);
    a.add(message(2, 1, 990));
    expect(budget.full).toBe(true);
    // A writer that stops gives back everything it held.
    a.clear();
    b.clear();
    expect([budget.rows, budget.bytes, a.size, b.size, released]).toEqual([0, 0, 0, 0, 4]);
    stop();
    b.add(message(9, 1, 1));
    b.take(9);
    expect(released).toBe(4);
  });

  test("a message's rows encoded for ClickHouse are counted with its bytes, and given back with them", () => {
    const budget = new HeldBudget(100, 1_000);
    const held = new HeldMessages<number>(budget);
    held.add({ seq: 1, subject: "s", data: new Uint8Array(100), conversion: { rows: [], encoded: { rows: 3, bytes: new Uint8Array(250) } } });
    expect([held.rows, held.bytes, budget.rows, budget.bytes]).toEqual([3, 350, 3, 350]);
    held.take(1);
    expect([held.rows, held.bytes, budget.rows, budget.bytes]).toEqual([0, 0, 0, 0]);
  });
});
