// Seeded mutations of valid SDK requests, for fuzzing intake and the worker behind it: byte-level damage to
// binary bodies and text-level damage to JSON ones, and value-level swaps of fields for values at and past every
// edge the contract names. The same seed gives the same requests.

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number) => Math.floor(random() * below);

/** Damages a binary body: flips, inserts, deletes or duplicates bytes, or cuts it short. */
export function mutateBytes(random: Random, body: Uint8Array): Uint8Array {
  const bytes = [...body];
  const edits = 1 + int(random, 4);
  for (let i = 0; i < edits && bytes.length > 0; i++) {
    const at = int(random, bytes.length);
    switch (int(random, 6)) {
      case 0:
        bytes[at] = bytes[at]! ^ (1 << int(random, 8));
        break;
      case 1:
        bytes[at] = pick(random, [0x00, 0xff, 0x7f, 0x80, 0x0a, 0x12, 0x1a, 0x22]);
        break;
      case 2:
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(random, 8) }, () => int(random, 256)));
        break;
      case 3:
        bytes.splice(at, 1 + int(random, 8));
        break;
      case 4:
        bytes.splice(at, 0, ...bytes.slice(at, at + 1 + int(random, 64)));
        break;
      default:
        bytes.length = at;
    }
  }
  return new Uint8Array(bytes);
}

/** Values at and past the edges of what the contract and the stores accept, in JSON form. */
export const EDGE_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, "9223372036854775807", "-9223372036854775808",
  "9223372036854775808", "NaN", "Infinity", "-Infinity", "", "\u0000", "\ud800", "a\ud800b", "\uffff", "\u202e",
  "x".repeat(1025), "é".repeat(1024), "__proto__", "constructor", "$projectId", "cookieless-x", "anon-",
  "10000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2299-12-31T23:59:59.999Z", "2300-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "not a time", "00000000-0000-0000-0000-000000000000",
  [], {}, { stringValue: "x" }, { intValue: "1" }, { doubleValue: 1e308 }, { boolValue: true },
  { timestampValue: "9999-12-31T23:59:59Z" }, { timestampValue: "1900-01-01T00:00:00Z" }, { stringValue: "x", intValue: "1" },
];

/** Replaces, removes or adds one value somewhere in a JSON document (its keys included). */
export function mutateJson(random: Random, document: unknown): unknown {
  const copy = structuredClone(document);
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const walk = (node: unknown) => {
    if (node && typeof node === "object") {
      containers.push(node as Record<string, unknown>);
      for (const child of Object.values(node)) walk(child);
    }
  };
  walk(copy);
  const edits = 1 + int(random, 3);
  for (let i = 0; i < edits; i++) {
    const target = pick(random, containers);
    const keys = Object.keys(target);
    const value = structuredClone(pick(random, EDGE_VALUES));
    if (Array.isArray(target)) {
      if (keys.length > 0 && random() < 0.7) target[int(random, target.length)] = value;
      else target.push(value);
      continue;
    }
    const action = int(random, 4);
    if (action === 0 && keys.length > 0) delete target[pick(random, keys)];
    else if (action === 1) target[String(pick(random, EDGE_VALUES.filter((v) => typeof v === "string")))] = value;
    else if (keys.length > 0) target[pick(random, keys)] = value;
  }
  return copy;
}

/** Damages JSON text: a character flipped, dropped or doubled, or the text cut short. */
export function mutateText(random: Random, text: string): string {
  const at = int(random, text.length);
  switch (int(random, 4)) {
    case 0:
      return text.slice(0, at) + pick(random, ['"', "{", "}", "[", ",", ":", "\\", "\u0000", "0"]) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    case 2:
      return text.slice(0, at) + text.slice(at, at + 20) + text.slice(at);
    default:
      return text.slice(0, at);
  }
}
