import { describe, expect, test } from "bun:test";
import { flowGraph, type Transition } from "./user-flow-graph.ts";

const t = (depth: number, source: string, target: string, sessions: number): Transition => ({ depth, source, target, sessions });
const node = (depth: number, label: string, isOthers = false) => ({ id: `${depth}:${label}`, isOthers, depth, label });

// Paths: a→b→c ×4, a→c ×2, d→b ×1, e→b→d ×1.
const transitions = [t(0, "a", "b", 4), t(1, "b", "c", 4), t(0, "a", "c", 2), t(0, "d", "b", 1), t(0, "e", "b", 1), t(1, "b", "d", 1)];

describe("flowGraph", () => {
  test("every node kept: one node per label and depth, links by sessions then ids", () => {
    expect(flowGraph(transitions, 20, 250)).toEqual({
      nodes: [node(0, "a"), node(0, "d"), node(0, "e"), node(1, "b"), node(1, "c"), node(2, "c"), node(2, "d")],
      links: [
        { source: "0:a", target: "1:b", value: 4 },
        { source: "1:b", target: "2:c", value: 4 },
        { source: "0:a", target: "1:c", value: 2 },
        { source: "0:d", target: "1:b", value: 1 },
        { source: "0:e", target: "1:b", value: 1 },
        { source: "1:b", target: "2:d", value: 1 },
      ],
    });
  });

  test("max_nodes per depth: the rest of a depth is one $others node, its links summed", () => {
    // Depth 0: a (6) kept, d and e (1 each) → $others; depth 1: b (6) kept, c (2) → $others; depth 2: c (4) kept, d → $others.
    expect(flowGraph(transitions, 1, 250)).toEqual({
      nodes: [node(0, "a"), node(0, "$others", true), node(1, "b"), node(1, "$others", true), node(2, "c"), node(2, "$others", true)],
      links: [
        { source: "0:a", target: "1:b", value: 4 },
        { source: "1:b", target: "2:c", value: 4 },
        { source: "0:$others", target: "1:b", value: 2 },
        { source: "0:a", target: "1:$others", value: 2 },
        { source: "1:b", target: "2:$others", value: 1 },
      ],
    });
  });

  test("a node reached by more sessions than leave it weighs what reached it", () => {
    // Depth 1: x is reached by 3 sessions and left by none; y is reached by 2 and left by 2.
    const graph = flowGraph([t(0, "a", "x", 3), t(0, "a", "y", 2), t(1, "y", "z", 2)], 1, 250);
    expect(graph.nodes.filter((n) => n.depth === 1).map((n) => n.label)).toEqual(["x", "$others"]);
    expect(graph.links).toEqual([
      { source: "0:a", target: "1:x", value: 3 },
      { source: "0:a", target: "1:$others", value: 2 },
      { source: "1:$others", target: "2:z", value: 2 },
    ]);
  });

  test("max_links keeps the busiest links; nodes only the dropped links touched are left out", () => {
    expect(flowGraph(transitions, 20, 2)).toEqual({
      nodes: [node(0, "a"), node(1, "b"), node(2, "c")],
      links: [
        { source: "0:a", target: "1:b", value: 4 },
        { source: "1:b", target: "2:c", value: 4 },
      ],
    });
  });

  test("a real label '$others' and the bucket stay apart", () => {
    const graph = flowGraph([t(0, "$others", "b", 5), t(0, "x", "b", 1), t(0, "y", "b", 1)], 1, 250);
    expect(graph.nodes).toEqual([node(0, "$others"), { id: "0:$others~", isOthers: true, depth: 0, label: "$others" }, node(1, "b")]);
    expect(graph.links).toEqual([
      { source: "0:$others", target: "1:b", value: 5 },
      { source: "0:$others~", target: "1:b", value: 2 },
    ]);
  });

  test("no transitions: an empty graph", () => {
    expect(flowGraph([], 20, 250)).toEqual({ nodes: [], links: [] });
  });
});
