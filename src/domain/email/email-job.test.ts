import { describe, expect, test } from "bun:test";
import { decodeEmailJob, type EmailJob, emailJobExpired, encodeEmailJob } from "./email-job.ts";

const job: EmailJob = { template: "magic_link", idempotencyKey: "k-1", to: "ada@example.com", notAfter: 1_700_000_900_000, data: { link: "https://dash.example.com/magic-link?token=ab", expiresMinutes: 15 } };

describe("mail jobs", () => {
  test("keep their notAfter through encoding; a job without one still decodes", () => {
    expect(decodeEmailJob(encodeEmailJob(job))).toEqual(job);
    const { notAfter: _, ...timeless } = job;
    expect(decodeEmailJob(encodeEmailJob(timeless))).toEqual(timeless);
  });

  test("a notAfter that is not a whole, non-negative number of milliseconds is refused naming it", () => {
    for (const notAfter of ["2030-01-01", 1.5, -1]) {
      expect(() => decodeEmailJob(new TextEncoder().encode(JSON.stringify({ ...job, notAfter })))).toThrow(/^email job: notAfter: /);
    }
  });

  test("are expired only after their notAfter; a job without one never is", () => {
    expect(emailJobExpired(job, job.notAfter! - 1)).toBe(false);
    expect(emailJobExpired(job, job.notAfter!)).toBe(false);
    expect(emailJobExpired(job, job.notAfter! + 1)).toBe(true);
    const { notAfter: _, ...timeless } = job;
    expect(emailJobExpired(timeless, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
