import { describe, expect, test } from "bun:test";
import type { EmailJob } from "./email-job.ts";
import { emailSealKey, openEmailBody, openEmailJob, sealEmailBody, sealEmailJob, UnopenableEmailJob } from "./email-seal.ts";

const key = emailSealKey("a-secret-of-at-least-thirty-two-characters");
const job: EmailJob = {
  template: "invitation",
  idempotencyKey: "invitation-1",
  to: "new@example.com",
  data: { link: "https://dash.example.com/magic-link?token=0123abcd", orgName: "Acme", invitedBy: "ada@example.com", role: "admin", expiresDays: 7 },
};
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("sealed mail jobs", () => {
  test("open to the job they sealed; the sealed bytes hold neither the link, the token nor the address", () => {
    const sealed = sealEmailJob(key, job);
    expect(openEmailJob(key, sealed)).toEqual(job);
    expect(sealed[0]).toBe(1);
    for (const secret of ["magic-link", "0123abcd", "new@example.com", "Acme"]) expect(text(sealed)).not.toContain(secret);
  });

  test("the same job sealed twice differs (a fresh nonce each time)", () => {
    expect(text(sealEmailJob(key, job))).not.toBe(text(sealEmailJob(key, job)));
  });

  test("a key from another secret does not open it", () => {
    const other = emailSealKey("another-secret-of-at-least-thirty-two-chars");
    expect(() => openEmailJob(other, sealEmailJob(key, job))).toThrow(new UnopenableEmailJob("email job: does not open: sealed with another PUG_JWT_SECRET_KEY, or altered"));
  });

  test("during a key change a job opens with the current key or the previous one; with neither it says so", () => {
    const previous = emailSealKey("the-previous-secret-of-at-least-thirty-two");
    const other = emailSealKey("another-secret-of-at-least-thirty-two-chars");
    expect(openEmailJob([key, previous], sealEmailJob(previous, job))).toEqual(job);
    expect(openEmailJob([key, previous], sealEmailJob(key, job))).toEqual(job);
    expect(() => openEmailJob([key, previous], sealEmailJob(other, job))).toThrow(
      new UnopenableEmailJob("email job: does not open: sealed with neither PUG_JWT_SECRET_KEY nor PUG_JWT_SECRET_KEY_PREVIOUS, or altered"),
    );
    const altered = sealEmailJob(previous, job);
    altered[20]! ^= 0x01;
    expect(() => openEmailJob([key, previous], altered)).toThrow(UnopenableEmailJob);
  });

  test("any altered byte (version, nonce, ciphertext, tag) makes it unopenable", () => {
    const sealed = sealEmailJob(key, job);
    for (const at of [1, 5, 13, 40, sealed.length - 1]) {
      const altered = Uint8Array.from(sealed);
      altered[at]! ^= 0x01;
      expect(() => openEmailJob(key, altered)).toThrow("email job: does not open");
    }
    const otherVersion = Uint8Array.from(sealed);
    otherVersion[0] = 2;
    expect(() => openEmailJob(key, otherVersion)).toThrow("email job: not sealed, or sealed by another version (first byte 2, expected 1)");
    expect(() => openEmailJob(key, sealed.subarray(0, 28))).toThrow("email job: not sealed (28 bytes, too short)");
  });

  test("a job queued in clear (JSON) is refused as not sealed", () => {
    const plain = new TextEncoder().encode(JSON.stringify(job));
    expect(() => openEmailBody(key, plain)).toThrow(UnopenableEmailJob);
    expect(() => openEmailBody(key, plain)).toThrow("email job: not sealed, or sealed by another version (first byte 123, expected 1)");
  });

  test("sealed bytes that are no job open, then fail to decode naming what is wrong", () => {
    const sealed = sealEmailBody(key, new TextEncoder().encode('{"template":"magic_link"}'));
    expect(text(openEmailBody(key, sealed))).toBe('{"template":"magic_link"}');
    expect(() => openEmailJob(key, sealed)).toThrow("email job: ");
    expect(() => openEmailJob(key, sealed)).not.toThrow(UnopenableEmailJob);
  });
});
