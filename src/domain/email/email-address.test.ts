import { describe, expect, test } from "bun:test";
import { defaultOrgName, emailProblem, normaliseEmail, normalizedEmail } from "./email-address.ts";

describe("normaliseEmail", () => {
  test("trims and lower-cases", () => {
    expect(normaliseEmail("  Ada.Lovelace@Example.COM \n")).toBe("ada.lovelace@example.com");
  });
});

describe("emailProblem", () => {
  test.each(["ada@example.com", "dev@localhost", "a+tag@sub.example.co.uk", "jürgen@bücher.de", "x@a-b.io"])("accepts %s", (email) => {
    expect(emailProblem(email)).toBeUndefined();
  });

  test.each([
    ["", "required"],
    ["ada", "must be an address like name@example.com"],
    ["@example.com", "must be an address like name@example.com"],
    ["ada@", "must be an address like name@example.com"],
    ["a@b@example.com", "must contain exactly one @"],
    ["ada lovelace@example.com", "must not contain spaces, quotes or any of <>()[]\\,;:"],
    ["<ada@example.com>", "must not contain spaces, quotes or any of <>()[]\\,;:"],
    [".ada@example.com", "the part before the @ must not start or end with a dot, nor hold two in a row"],
    ["a..da@example.com", "the part before the @ must not start or end with a dot, nor hold two in a row"],
    ["ada@example..com", "'example..com' is not a valid mail domain"],
    ["ada@-example.com", "'-example.com' is not a valid mail domain"],
    [`${"a".repeat(65)}@example.com`, "the part before the @ must be at most 64 characters"],
    [`a@${"b".repeat(320)}.com`, "must be at most 320 characters"],
  ])("refuses %j: %s", (email, why) => {
    expect(emailProblem(email)).toBe(why);
  });
});

describe("defaultOrgName", () => {
  test("names the org after the part before the @", () => {
    expect(defaultOrgName("ada@example.com")).toBe("ada's org");
    expect(defaultOrgName(`${"a".repeat(64)}@x.io`).length).toBeLessThanOrEqual(200);
  });
});

describe("normalizedEmail", () => {
  test("names the field and says why", () => {
    expect(normalizedEmail("  Ada@Example.COM ", "email")).toBe("ada@example.com");
    expect(() => normalizedEmail("ada", "invitation.email")).toThrow("must be an address like name@example.com");
  });
});
