// The Sankey graph of a user flow, from the transitions ClickHouse counted: a node is a label at a depth (step of
// the path), so the same page at step 0 and step 2 are two nodes. Per depth the busiest `maxNodes` labels stay;
// the rest of that depth becomes one "$others" node. Links are re-summed after that remapping, and the busiest
// `maxLinks` kept; nodes no kept link touches are left out. A link always joins two depths, so no remapping can
// make a self-loop; repeats of a label in a row are collapsed before (in SQL), so A → A never appears either.

import { OTHERS } from "./breakdowns.ts";

/** Sessions that went from `source` at `depth` to `target` at `depth + 1`. */
export interface Transition {
  depth: number;
  source: string;
  target: string;
  sessions: number;
}

export interface FlowNode {
  id: string;
  isOthers: boolean;
  depth: number;
  label: string;
}

export interface FlowLink {
  source: string;
  target: string;
  value: number;
}

export interface FlowGraph {
  nodes: FlowNode[];
  links: FlowLink[];
}

/**
 * Sessions through each node: a path has one transition per step, so a node's sessions are those that left it
 * (depth 0) or reached it (later depths; some of them end there and leave by no link).
 */
function nodeSessions(transitions: Transition[]): Map<number, Map<string, number>> {
  const outgoing = new Map<number, Map<string, number>>();
  const incoming = new Map<number, Map<string, number>>();
  const add = (into: Map<number, Map<string, number>>, depth: number, label: string, sessions: number) => {
    const labels = into.get(depth) ?? new Map<string, number>();
    labels.set(label, (labels.get(label) ?? 0) + sessions);
    into.set(depth, labels);
  };
  for (const t of transitions) {
    add(outgoing, t.depth, t.source, t.sessions);
    add(incoming, t.depth + 1, t.target, t.sessions);
  }
  const weights = new Map<number, Map<string, number>>();
  for (const depth of new Set([...outgoing.keys(), ...incoming.keys()])) {
    const labels = new Map<string, number>();
    for (const [label, sessions] of [...(outgoing.get(depth) ?? []), ...(incoming.get(depth) ?? [])]) {
      labels.set(label, Math.max(labels.get(label) ?? 0, sessions));
    }
    weights.set(depth, labels);
  }
  return weights;
}

const busiestFirst = (a: [string, number], b: [string, number]) => b[1] - a[1] || compare(a[0], b[0]);

export function flowGraph(transitions: Transition[], maxNodes: number, maxLinks: number): FlowGraph {
  const weights = nodeSessions(transitions);
  const nodes = new Map<string, FlowNode & { sessions: number }>();
  // (depth, label) → the node it is drawn as.
  const nodeOf = new Map<number, Map<string, string>>();
  for (const [depth, labels] of weights) {
    const ranked = [...labels].sort(busiestFirst);
    const ids = new Map<string, string>();
    for (const [label, sessions] of ranked.slice(0, maxNodes)) {
      const id = `${depth}:${label}`;
      nodes.set(id, { id, isOthers: false, depth, label, sessions });
      ids.set(label, id);
    }
    const rest = ranked.slice(maxNodes);
    if (rest.length > 0) {
      // A real label may be "$others" too: the bucket gets an id of its own.
      let id = `${depth}:${OTHERS}`;
      while (nodes.has(id)) id += "~";
      nodes.set(id, { id, isOthers: true, depth, label: OTHERS, sessions: 0 });
      for (const [label] of rest) ids.set(label, id);
    }
    nodeOf.set(depth, ids);
  }

  const summed = new Map<string, FlowLink>();
  for (const t of transitions) {
    const source = nodeOf.get(t.depth)!.get(t.source)!;
    const target = nodeOf.get(t.depth + 1)!.get(t.target)!;
    const key = JSON.stringify([source, target]);
    const link = summed.get(key) ?? { source, target, value: 0 };
    link.value += t.sessions;
    summed.set(key, link);
  }
  const links = [...summed.values()]
    .filter((link) => link.value > 0)
    .sort((a, b) => b.value - a.value || compare(a.source, b.source) || compare(a.target, b.target))
    .slice(0, maxLinks);

  const used = new Set(links.flatMap((link) => [link.source, link.target]));
  const kept = [...nodes.values()]
    .filter((node) => used.has(node.id))
    .sort((a, b) => a.depth - b.depth || Number(a.isOthers) - Number(b.isOthers) || b.sessions - a.sessions || compare(a.label, b.label));
  return { nodes: kept.map(({ sessions: _, ...node }) => node), links };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
