import { describe, expect, test } from "bun:test";
import { decodePageToken, encodePageToken } from "./page-token.ts";

const position = { createdAt: "2026-08-01 10:11:12.123456+00", id: "0b6c1d7e-3f0a-4a57-9a8e-2f4b5c6d7e8f" };

describe("profile list page token", () => {
  test("round-trips a position", () => {
    const token = encodePageToken(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token)).toEqual(position);
  });

  test.each([
    ["empty", ""],
    ["not base64url", "a+b/c="],
    ["not JSON", Buffer.from("hello").toString("base64url")],
    ["an object", Buffer.from(JSON.stringify(position)).toString("base64url")],
    ["a bad time", Buffer.from(JSON.stringify(["yesterday", position.id])).toString("base64url")],
    ["SQL in the time", Buffer.from(JSON.stringify(["2026-08-01 10:11:12+00'; --", position.id])).toString("base64url")],
    ["a bad id", Buffer.from(JSON.stringify([position.createdAt, "42"])).toString("base64url")],
    ["too long", "a".repeat(201)],
  ])("refuses %s", (_, token) => {
    expect(decodePageToken(token)).toBeUndefined();
  });
});
