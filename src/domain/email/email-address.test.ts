import { describe, expect, test } from "bun:test";
import { refusalOf } from "../field-refusal.ts";
import { normalizedEmail } from "./email-address.ts";

describe("normalizedEmail", () => {
  test("trims and lower-cases", () => {
    expect(normalizedEmail("  Ada.Lovelace@Example.COM \n", "email")).toBe("ada.lovelace@example.com");
  });

  test.each([
    ["", "email: required"],
    ["   ", "email: required"],
    ["ada", "email: 'ada' is not an email address (name@example.com)"],
    ["ada@example", "email: 'ada@example' is not an email address (name@example.com)"],
    ["a da@example.com", "email: 'a da@example.com' is not an email address (name@example.com)"],
    ["ada@@example.com", "email: 'ada@@example.com' is not an email address (name@example.com)"],
    [`${"a".repeat(310)}@example.com`, "email: at most 320 characters, got 322"],
  ])("%p is refused", (given, message) => {
    expect(refusalOf(() => normalizedEmail(given, "email"))).toBe(message);
  });
});
