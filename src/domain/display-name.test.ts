import { describe, expect, test } from "bun:test";
import { displayName } from "./display-name.ts";
import { refusalOf } from "./field-refusal.ts";

describe("displayName", () => {
  test("trims", () => {
    expect(displayName("  Acme Ltd \t", "display_name")).toBe("Acme Ltd");
    expect(displayName("x".repeat(200), "display_name")).toHaveLength(200);
  });

  test.each([
    ["", "display_name: required"],
    ["  ", "display_name: required"],
    ["x".repeat(201), "display_name: at most 200 characters, got 201"],
  ])("%p is refused", (given, message) => {
    expect(refusalOf(() => displayName(given, "display_name"))).toBe(message);
  });
});
