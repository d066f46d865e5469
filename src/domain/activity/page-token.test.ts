import { describe, expect, test } from "bun:test";
import { decodeEventPosition, decodePersonPosition, encodeEventPosition, encodePersonPosition } from "./page-token.ts";

const position = { occurredMs: 1_785_000_000_123, eventId: "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f" };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("event page tokens", () => {
  test("round-trip a position", () => {
    const token = encodeEventPosition(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeEventPosition(token)).toEqual(position);
  });

  test.each([
    ["empty", ""],
    ["not base64url", "a token!"],
    ["not JSON", "bm90IGpzb24"],
    ["a person token", encodePersonPosition("alice")],
    ["a fractional time", b64(["e", 1.5, position.eventId])],
    ["a time as text", b64(["e", "1785000000123", position.eventId])],
    ["SQL for an id", b64(["e", 1, "x' OR 1=1 --"])],
    ["an extra part", b64(["e", 1, position.eventId, 1])],
  ])("refuse %s", (_, token) => {
    expect(decodeEventPosition(token)).toBeUndefined();
  });
});

describe("person page tokens", () => {
  test("round-trip any text", () => {
    for (const person of ["alice", "anon-1", "é 'quoted' \"x\""]) expect(decodePersonPosition(encodePersonPosition(person))).toBe(person);
  });

  test.each([["an event token", encodeEventPosition(position)], ["a number", b64(["p", 3])], ["garbage", "zzzz"]])("refuse %s", (_, token) => {
    expect(decodePersonPosition(token)).toBeUndefined();
  });
});
