import { describe, expect, test } from "bun:test";
import { autoCounts, devProcessPlan, parseDevProcesses } from "./dev-processes.ts";

describe("dev processes", () => {
  test("auto: half the cores serve, a quarter write events, at least one of each", () => {
    expect([1, 2, 4, 8, 16].map(autoCounts)).toEqual([
      { servers: 1, events: 1 },
      { servers: 1, events: 1 },
      { servers: 2, events: 1 },
      { servers: 4, events: 2 },
      { servers: 8, events: 4 },
    ]);
  });

  test("the plan names every process, light roles together, servers stopped first", () => {
    expect(devProcessPlan({ kind: "counts", servers: 2, events: 1 }, 64)).toEqual([
      { name: "server-1", roles: ["server"], stopTier: 0 },
      { name: "server-2", roles: ["server"], stopTier: 0 },
      { name: "events-1", roles: ["events"], stopTier: 1 },
      { name: "light-1", roles: ["profile", "email", "scheduler"], stopTier: 1 },
    ]);
    expect(devProcessPlan({ kind: "single" }, 8)).toBeUndefined();
  });

  test.each([
    ["auto", { kind: "auto" }],
    ["single", { kind: "single" }],
    ["server=3", { kind: "counts", servers: 3, events: 1 }],
    ["events=2, server=4", { kind: "counts", servers: 4, events: 2 }],
    ["server=0", undefined],
    ["workers=2", undefined],
    ["server=two", undefined],
  ])("parses %p", (text, expected) => {
    expect(parseDevProcesses(text)).toEqual(expected as never);
  });
});
