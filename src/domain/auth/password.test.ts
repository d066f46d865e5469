import { expect, test } from "bun:test";
import { hashPassword, passwordMatches, passwordProblem } from "./password.ts";

test("a new password is 10 to 200 characters, counted as characters", () => {
  expect(passwordProblem("123456789")).toBe("must be 10 to 200 characters (got 9)");
  expect(passwordProblem("1234567890")).toBeUndefined();
  expect(passwordProblem("🐶".repeat(200))).toBeUndefined();
  expect(passwordProblem("x".repeat(201))).toBe("must be 10 to 200 characters (got 201)");
});

test("hashes are argon2id, salted, and check only their own password", async () => {
  const hash = await hashPassword("correct horse battery");
  expect(hash).toStartWith("$argon2id$");
  expect(await hashPassword("correct horse battery")).not.toBe(hash);
  expect(await passwordMatches("correct horse battery", hash)).toBe(true);
  expect(await passwordMatches("correct horse batterY", hash)).toBe(false);
});

test("no stored hash never matches, not even the decoy's own password", async () => {
  expect(await passwordMatches("anything at all", null)).toBe(false);
  expect(await passwordMatches("", undefined)).toBe(false);
});
