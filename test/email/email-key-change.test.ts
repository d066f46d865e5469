// A PUG_JWT_SECRET_KEY change with mail still queued (sealed with the old key): the worker opens jobs with the new
// key, then PUG_JWT_SECRET_KEY_PREVIOUS; a job that opens with neither is retried like a failed send (the operator
// may set the old key within the retry window) and dead-lettered as `unopenable` only on its last delivery, from
// where `pug email replay-dlq` takes it by default.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { emailSealKey, sealEmailJob } from "../../src/domain/email/email-seal.ts";
import type { Nats } from "../../src/infra/nats.ts";
import { queueEmail } from "../../src/server/dashboard/email-queue.ts";
import { type EmailScratch, type EmailWorkerHarness, type EmailWorkerProcess, emailScratch, magicLinkJob } from "../support/email-worker-process.ts";
import { waitFor } from "../support/ports.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { type ScratchEnv, TEST_JWT_SECRET } from "../support/scratch.ts";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.ts";

const OLD_SECRET = TEST_JWT_SECRET;
const NEW_SECRET = "the-new-secret-after-the-key-change-0123456789";
const oldKey = emailSealKey(OLD_SECRET);
const newKey = emailSealKey(NEW_SECRET);

let scratch: EmailScratch | undefined;
let env: ScratchEnv;
let nats: Nats;
let harness: EmailWorkerHarness;
let peer: SmtpPeer;
let worker: EmailWorkerProcess | undefined;

beforeAll(async () => {
  scratch = await emailScratch("email_keys");
  ({ env, nats, harness } = scratch);
  peer = await startSmtpPeer();
});
afterAll(async () => {
  await worker?.stop();
  await scratch?.close();
  await peer?.stop();
});

/** A worker holding the new key, and the old one as PUG_JWT_SECRET_KEY_PREVIOUS if `previous`. */
async function restartWorker(previous: string | undefined): Promise<void> {
  await worker?.stop();
  worker = harness.start({ PUG_SMTP_URL: peer.url, PUG_EMAIL_RETRY_BASE_MS: "100", PUG_JWT_SECRET_KEY: NEW_SECRET, PUG_JWT_SECRET_KEY_PREVIOUS: previous ?? "" });
  await harness.untilPulling(worker);
}

const metric = async (line: string) => Number((await (await fetch(worker!.metricsUrl)).text()).split("\n").find((l) => l.startsWith(`${line} `))?.split(" ")[1] ?? 0);
const send = (data: Uint8Array | string, msgID: string) => nats.js.publish(nats.names.subject("email", "send"), data, { msgID });

/** The reason and detail of every dead letter now in `email_dlq`. */
const deadLetterDetails = async () => (await harness.messages("email_dlq")).map((stored) => `${stored.header.get("Pug-Reason")}: ${stored.header.get("Pug-Detail")}`).sort();

describe("a PUG_JWT_SECRET_KEY change", () => {
  test("mail sealed with the old key is retried, not dead-lettered; once PUG_JWT_SECRET_KEY_PREVIOUS holds it, it is sent, and so is mail sealed with the new key", async () => {
    await queueEmail(nats, oldKey, magicLinkJob("before-change@pug.test", "k-before-change"));
    await restartWorker(undefined);
    await waitFor("two retries", async () => (await metric('pug_email_jobs_total{outcome="retried"}')) >= 2);
    expect(worker!.output()).toContain("mail job does not open (PUG_JWT_SECRET_KEY changed?); retrying later");
    expect([await harness.deadLettered(), await metric('pug_email_jobs_total{outcome="dead_lettered"}'), peer.attempts("before-change@pug.test")]).toEqual([0, 0, 0]);

    await restartWorker(OLD_SECRET);
    const [mail] = await peer.waitForMails("before-change@pug.test");
    expect(mail!.text).toContain("https://dash.pug.test/magic-link?token=k-before-change");
    await queueEmail(nats, newKey, magicLinkJob("after-change@pug.test", "k-after-change"));
    await peer.waitForMails("after-change@pug.test");
    await waitFor("both jobs acknowledged", harness.drained);
    expect([await harness.deadLettered(), peer.mailsTo("before-change@pug.test").length]).toEqual([0, 1]);
  });

  test("a job that opens with neither key (the old key unset, another key, altered, in clear) is dead-lettered as unopenable on its last delivery; replay-dlq takes it by default", async () => {
    await nats.jsm.consumers.update(nats.names.stream("email"), "email-worker", { max_deliver: 3 });
    await restartWorker(undefined);
    await send(sealEmailJob(oldKey, magicLinkJob("old-key@pug.test", "k-old-key")), "old-key");
    await send(sealEmailJob(emailSealKey("a-third-secret-nobody-configured-0123456789"), magicLinkJob("third-key@pug.test", "k-third-key")), "third-key");
    const altered = sealEmailJob(newKey, magicLinkJob("altered@pug.test", "k-altered"));
    altered[20]! ^= 0xff;
    await send(altered, "altered");
    await send(JSON.stringify(magicLinkJob("clear@pug.test", "k-clear")), "clear");
    await waitFor("four dead letters", async () => (await harness.deadLettered()) === 4);
    const doesNotOpen = "unopenable: email job: does not open: sealed with another PUG_JWT_SECRET_KEY, or altered";
    expect(await deadLetterDetails()).toEqual([doesNotOpen, doesNotOpen, doesNotOpen, "unopenable: email job: not sealed, or sealed by another version (first byte 123, expected 1)"]);
    await waitFor("the messages acknowledged", harness.drained);
    // Each was delivered three times: two retries, then dead-lettered.
    expect(await metric('pug_email_jobs_total{outcome="retried"}')).toBe(8);
    expect(await metric('pug_dead_lettered_total{table="email_deliveries",reason="unopenable"}')).toBe(4);
    const recipients = ["old-key@pug.test", "third-key@pug.test", "altered@pug.test", "clear@pug.test"];
    expect(recipients.map((to) => peer.attempts(to))).toEqual([0, 0, 0, 0]);

    // The operator sets the old key after the retry window, and replays: the job sealed with it is sent; the others
    // go round again and end up back in the DLQ.
    await restartWorker(OLD_SECRET);
    expect(expectSuccess(await runPug(["email", "replay-dlq"], env)).stdout).toEndWith("replayed 4 mail jobs from email_dlq onto the email stream\n");
    await peer.waitForMails("old-key@pug.test");
    await waitFor("three dead letters again", async () => (await harness.deadLettered()) === 3 && (await harness.drained()));
    const neither = "unopenable: email job: does not open: sealed with neither PUG_JWT_SECRET_KEY nor PUG_JWT_SECRET_KEY_PREVIOUS, or altered";
    expect(await deadLetterDetails()).toEqual([neither, neither, "unopenable: email job: not sealed, or sealed by another version (first byte 123, expected 1)"]);
    expect(recipients.map((to) => peer.mailsTo(to).length)).toEqual([1, 0, 0, 0]);
  });
});
