import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { type IdentifyRequest, IdentifyRequestSchema } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { storableTraits, validateIdentify } from "./validate-identify.ts";

const identify = (overrides: Parameters<typeof create<typeof IdentifyRequestSchema>>[1] = {}): IdentifyRequest =>
  create(IdentifyRequestSchema, { externalId: "user-42", anonymousId: "anon-1", traits: { plan: "pro" }, ...overrides });

// [what, request, the one problem expected ("" = valid)]
const cases: [string, IdentifyRequest, string][] = [
  ["a plain identify", identify(), ""],
  ["no external_id", identify({ externalId: "" }), "external_id: required"],
  ["an external_id in the cookieless namespace", identify({ externalId: "cookieless-1" }), 'external_id: must not start with "cookieless-"'],
  ["an external_id of 256 characters", identify({ externalId: "u".repeat(256) }), "external_id: at most 255 characters"],
  ["an external_id with a lone surrogate", identify({ externalId: "user-\ud800" }), "external_id: not valid Unicode (lone surrogate)"],
  ["an anonymous_id without anon-", identify({ anonymousId: "visitor-1" }), 'anonymous_id: must be empty or start with "anon-"'],
  ["an anonymous_id with a lone surrogate", identify({ anonymousId: "anon-\udc00" }), "anonymous_id: not valid Unicode (lone surrogate)"],
  ["a device_id of 37 characters", identify({ deviceId: "d".repeat(37) }), "device_id: at most 36 characters"],
  ["a device_id with a lone surrogate", identify({ deviceId: "\ud800" }), "device_id: not valid Unicode (lone surrogate)"],
  ["501 traits", identify({ traits: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`t${i}`, i])) }), "traits: at most 500 traits, got 501"],
  ["an empty trait name", identify({ traits: { "": 1 } }), 'traits[""]: names are 1 to 200 characters'],
  ["a trait name of 201 characters", identify({ traits: { ["t".repeat(201)]: 1 } }), "names are 1 to 200 characters"],
  ["a trait name with a control character", identify({ traits: { "a\u0001": 1 } }), 'traits["a\\u0001"]: names must not contain control characters'],
  ["a NaN trait", identify({ traits: { score: Number.NaN } }), 'traits["score"]: numbers must be finite, got NaN'],
  ["an infinite number deep in a trait", identify({ traits: { nested: { list: [1, { x: Number.POSITIVE_INFINITY }] } } }), 'traits["nested"]: numbers must be finite, got Infinity'],
  ["a trait string with a lone surrogate", identify({ traits: { name: "\ud800" } }), 'traits["name"]: not valid Unicode (lone surrogate)'],
  ["a nested key with a lone surrogate", identify({ traits: { nested: { "\udc00": 1 } } }), 'traits["nested"]: key "\\udc00": not valid Unicode'],
  ["a NUL character in a trait value", identify({ traits: { bio: "x\u0000y" } }), 'traits["bio"]: must not contain NUL characters'],
  ["a NUL character deep in a trait", identify({ traits: { nested: { list: ["ok", "a\u0000"] } } }), 'traits["nested"]: must not contain NUL characters'],
  ["a NUL character in a nested key", identify({ traits: { nested: { "k\u0000": 1 } } }), 'traits["nested"]: key "k\\u0000": must not contain NUL characters'],
  ["nested JSON of every kind, control characters in values", identify({ traits: { a: null, b: true, c: "x\u0001y\u007f", d: [1, "two", { e: 3.5 }] } }), ""],
];

describe("validateIdentify", () => {
  test.each(cases)("%s", (_what, input, expected) => {
    const problems = validateIdentify(input);
    if (expected === "") expect(problems).toEqual([]);
    else {
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(expected);
    }
  });

  test("$ip is removed from traits before queueing", () => {
    expect(storableTraits(identify({ traits: { plan: "pro", $ip: "81.2.69.160" } })).traits).toEqual({ plan: "pro" });
  });
});
