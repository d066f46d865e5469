import { expect, test } from "bun:test";
import { ConnectError } from "../connect-errors.ts";
import { cappedPasswordWork } from "./password-checks.ts";

const never = () => new Promise<string>(() => {});

test("at most `max` checks run at once; the rest are refused at once, and room comes back as checks end", async () => {
  const pending: (() => void)[] = [];
  let started = 0;
  const slow = (password: string) =>
    new Promise<boolean>((resolve) => {
      started++;
      pending.push(() => resolve(password === "right"));
    });
  const { check } = cappedPasswordWork(2, { check: slow, hash: never });
  const first = check("right", "h");
  const second = check("wrong", "h");
  const third = await check("right", "h").catch((error: unknown) => error);
  expect(third).toBeInstanceOf(ConnectError);
  expect((third as ConnectError).message).toBe("[resource_exhausted] too many sign-ins at once; retry in a moment");
  expect(started).toBe(2);

  pending.shift()!();
  expect(await first).toBe(true);
  const fourth = check("right", "h");
  expect(started).toBe(3);
  for (const release of pending.splice(0)) release();
  expect([await second, await fourth]).toEqual([false, true]);
});

test("a check that throws gives its room back", async () => {
  const { check } = cappedPasswordWork(1, { check: () => Promise.reject(new Error("boom")), hash: never });
  await expect(check("x", "h")).rejects.toThrow("boom");
  await expect(check("x", "h")).rejects.toThrow("boom");
});

test("hashing a new password takes room from the same cap as checks", async () => {
  const pending: (() => void)[] = [];
  const slowHash = () => new Promise<string>((resolve) => pending.push(() => resolve("hash")));
  const work = cappedPasswordWork(2, { check: () => new Promise<boolean>((resolve) => pending.push(() => resolve(true))), hash: slowHash });
  const hashing = work.hash("a new password");
  const checking = work.check("x", "h");
  const refused = (promise: Promise<unknown>) => promise.then(() => "ran", (error: Error) => error.message);
  expect(await refused(work.hash("another"))).toBe("[resource_exhausted] too many password changes at once; retry in a moment");
  expect(await refused(work.check("x", "h"))).toBe("[resource_exhausted] too many sign-ins at once; retry in a moment");
  for (const release of pending.splice(0)) release();
  expect([await hashing, await checking]).toEqual(["hash", true]);
});
