import { expect, test } from "bun:test";
import { ConnectError } from "../connect-errors.ts";
import { cappedPasswordChecks } from "./password-checks.ts";

test("at most `max` checks run at once; the rest are refused at once, and room comes back as checks end", async () => {
  const pending: (() => void)[] = [];
  let started = 0;
  const slow = (password: string) =>
    new Promise<boolean>((resolve) => {
      started++;
      pending.push(() => resolve(password === "right"));
    });
  const check = cappedPasswordChecks(2, slow);
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
  const check = cappedPasswordChecks(1, () => Promise.reject(new Error("boom")));
  await expect(check("x", "h")).rejects.toThrow("boom");
  await expect(check("x", "h")).rejects.toThrow("boom");
});
