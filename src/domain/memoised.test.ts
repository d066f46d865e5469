import { expect, test } from "bun:test";
import { memoised } from "./memoised.ts";

test("an input seen before is answered without computing again, undefined answers included", () => {
  const computed: string[] = [];
  const length = memoised((s) => (computed.push(s), s === "" ? undefined : s.length), 10);
  expect([length("ab"), length(""), length("ab"), length("")]).toEqual([2, undefined, 2, undefined]);
  expect(computed).toEqual(["ab", ""]);
});

test("beyond `max` inputs the oldest is forgotten and computed again when it comes back", () => {
  const computed: string[] = [];
  const upper = memoised((s) => (computed.push(s), s.toUpperCase()), 2);
  for (const s of ["a", "b", "a", "c", "b", "a"]) upper(s);
  // "a" and "b" fill it; "c" pushes out "a" (the oldest); "b" is still held; "a" comes back computed.
  expect(computed).toEqual(["a", "b", "c", "a"]);
});
