// `pug worker email` as a process against a real SMTP server (test/support/smtp-peer.ts): what arrives, what is
// sent once, retried or dead-lettered. Jobs are queued the way the server queues them (queueEmail).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { emailSealKey, openEmailJob, sealEmailBody, sealEmailJob } from "../../src/domain/email/email-seal.ts";
import type { Nats } from "../../src/infra/nats.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { queueEmail } from "../../src/server/dashboard/email-queue.ts";
import { listDeliveries } from "../../src/store/email-deliveries.ts";
import { type EmailScratch, type EmailWorkerHarness, emailScratch, magicLinkJob as magicLink } from "../support/email-worker-process.ts";
import { waitFor } from "../support/ports.ts";
import type { RunningPug } from "../support/pug-process.ts";
import { type ScratchEnv, TEST_JWT_SECRET } from "../support/scratch.ts";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.ts";

let env: ScratchEnv;
let peer: SmtpPeer;
let nats: Nats;
let sql: Sql;
let worker: RunningPug | undefined;
let metricsUrl: string;
let harness: EmailWorkerHarness;
/** The key the stack's server seals jobs with (from PUG_JWT_SECRET_KEY). */
const key = emailSealKey(TEST_JWT_SECRET);

let scratch: EmailScratch | undefined;

beforeAll(async () => {
  scratch = await emailScratch("email");
  ({ env, nats, sql, harness } = scratch);
  peer = await startSmtpPeer();
});
afterAll(async () => {
  await worker?.stop();
  await scratch?.close();
  await peer?.stop();
});

const consumer = () => harness.consumer();
const drained = () => harness.drained();
const deadLetters = (reason: string) => harness.deadLetter(reason);
const untilPulling = (running: RunningPug) => harness.untilPulling(running);
function startWorker(extra: Record<string, string>): RunningPug {
  const running = harness.start(extra);
  metricsUrl = running.metricsUrl;
  return running;
}

/** Every message's raw bytes on the email stream, as anyone who can read NATS sees them. */
const rawQueued = async () => (await harness.messages("email")).map((message) => Buffer.from(message.data).toString("latin1"));

describe("pug worker email", () => {
  test("without SMTP, or without PUG_JWT_SECRET_KEY, it says so and takes no mail; once configured and restarted it sends what waited", async () => {
    await queueEmail(nats, key, magicLink("waiting@pug.test", "k-waiting", "tok_waiting_secret"));
    // Sealed on the stream: neither the link nor its token can be read off NATS.
    const raw = await rawQueued();
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain("tok_waiting_secret");
    expect(raw[0]).not.toContain("magic-link");
    expect(raw[0]).not.toContain("waiting@pug.test");

    const noSmtp = startWorker({ PUG_SMTP_URL: "" });
    await waitFor("the warning", () => noSmtp.output().includes("PUG_SMTP_URL is not set: no mail is sent"));
    await Bun.sleep(500);
    expect(await noSmtp.stop()).toBe(0);
    const noKey = startWorker({ PUG_SMTP_URL: peer.url, PUG_JWT_SECRET_KEY: "" });
    await waitFor("the warning", () => noKey.output().includes("PUG_JWT_SECRET_KEY is not set: no mail is sent"));
    await Bun.sleep(500);
    expect(await noKey.stop()).toBe(0);
    const info = await consumer();
    expect([info.num_pending, info.delivered.consumer_seq]).toEqual([1, 0]);

    worker = startWorker({ PUG_SMTP_URL: peer.url, PUG_EMAIL_RETRY_BASE_MS: "300" });
    await untilPulling(worker);
    const [mail] = await peer.waitForMails("waiting@pug.test");
    expect(mail!.text).toContain("https://dash.pug.test/magic-link?token=tok_waiting_secret");
  });

  test("a magic link arrives once, to its address, with the link in its text and HTML; the delivery is recorded", async () => {
    const job = magicLink("ada@pug.test", "k-ada", "tok_ada_123");
    await queueEmail(nats, key, job);
    const [mail] = await peer.waitForMails("ada@pug.test");
    await waitFor("the job acknowledged", drained);
    expect(peer.mailsTo("ada@pug.test")).toHaveLength(1);
    expect(mail!.from).toBe("pug@pug.test");
    expect(mail!.subject).toBe("Your sign-in link for Pug");
    expect(mail!.text.split("\r\n")).toContain("https://dash.pug.test/magic-link?token=tok_ada_123");
    expect(mail!.html).toContain('href="https://dash.pug.test/magic-link?token=tok_ada_123"');
    const delivery = (await listDeliveries(sql)).find((d) => d.idempotencyKey === "k-ada");
    expect(delivery).toEqual({ idempotencyKey: "k-ada", template: "magic_link", recipient: "ada@pug.test", messageId: mail!.messageId });
  });

  test("the same job under two message ids (one idempotency key) is sent once", async () => {
    const job = magicLink("twice@pug.test", "k-twice");
    await nats.js.publish(nats.names.subject("email", "send"), sealEmailJob(key, job), { msgID: "first" });
    await nats.js.publish(nats.names.subject("email", "send"), sealEmailJob(key, job), { msgID: "second" });
    await peer.waitForMails("twice@pug.test");
    await waitFor("both messages acknowledged", drained);
    await Bun.sleep(300);
    expect(peer.mailsTo("twice@pug.test")).toHaveLength(1);
    expect(peer.attempts("twice@pug.test")).toBe(1);
  });

  test("refused for now (451) twice, then accepted: delivered once, after two retries", async () => {
    peer.refuse("later@pug.test", 451, "4.3.0 Try again later", 2);
    await queueEmail(nats, key, magicLink("later@pug.test", "k-later"));
    const mails = await peer.waitForMails("later@pug.test", 1, 20_000);
    await waitFor("the job acknowledged", drained);
    expect(mails).toHaveLength(1);
    expect(peer.attempts("later@pug.test")).toBe(3);
  });

  test("refused for good (550): dead-lettered at once with the server's reply, still sealed; nothing sent or recorded", async () => {
    peer.refuse("nobody@pug.test", 550, "5.1.1 No such mailbox");
    const job = magicLink("nobody@pug.test", "k-nobody", "tok_nobody_secret");
    await queueEmail(nats, key, job);
    await waitFor("a dead letter", async () => (await deadLetters("rejected")) !== undefined);
    const { data, ...letter } = (await deadLetters("rejected"))!;
    expect(letter).toEqual({ reason: "rejected", detail: "smtp 550 5.1.1 No such mailbox", sourceStream: nats.names.stream("email") });
    expect(Buffer.from(data).toString("latin1")).not.toContain("tok_nobody_secret");
    expect(openEmailJob(key, data)).toEqual(job);
    await waitFor("the job acknowledged", drained);
    expect(peer.attempts("nobody@pug.test")).toBe(1);
    expect(peer.mailsTo("nobody@pug.test")).toEqual([]);
    expect((await listDeliveries(sql)).map((d) => d.idempotencyKey)).not.toContain("k-nobody");
  });

  test("a sealed message that is not a job is dead-lettered at once with why", async () => {
    await nats.js.publish(nats.names.subject("email", "send"), sealEmailBody(key, new TextEncoder().encode('{"template":"magic_link","to":"x@pug.test"}')), { msgID: "garbage" });
    await waitFor("a dead letter", async () => (await deadLetters("undecodable")) !== undefined);
    const letter = await deadLetters("undecodable");
    expect(letter!.detail).toStartWith("email job: ");
    expect(letter!.detail).toContain("idempotencyKey");
    await waitFor("the message acknowledged", drained);
  });

  test("a job past its notAfter (its link expired while it waited) is acknowledged and dropped unsent; one before it is sent", async () => {
    await queueEmail(nats, key, { ...magicLink("too-late@pug.test", "k-too-late"), notAfter: Date.now() - 1 });
    await queueEmail(nats, key, { ...magicLink("in-time@pug.test", "k-in-time"), notAfter: Date.now() + 60_000 });
    await peer.waitForMails("in-time@pug.test");
    await waitFor("both jobs acknowledged", drained);
    expect([peer.attempts("too-late@pug.test"), await harness.deadLettered()]).toEqual([0, 2]);
    const sent = (await listDeliveries(sql)).map((d) => d.idempotencyKey);
    expect(sent).toContain("k-in-time");
    expect(sent).not.toContain("k-too-late");
    expect(worker!.output()).toContain("mail past its notAfter (its link has expired); dropped unsent");
  });

  test("every outcome is counted in /metrics", async () => {
    const metrics = await (await fetch(metricsUrl)).text();
    // Sent: the waiting one, ada, twice, later, in-time. Retried: later's two refusals. Dead-lettered: nobody and the
    // garbage. Expired: too-late. (Jobs that do not open: test/email/email-key-change.test.ts.)
    expect(metrics).toContain('pug_email_jobs_total{outcome="sent"} 5');
    expect(metrics).toContain('pug_email_jobs_total{outcome="duplicate"} 1');
    expect(metrics).toContain('pug_email_jobs_total{outcome="retried"} 2');
    expect(metrics).toContain('pug_email_jobs_total{outcome="dead_lettered"} 2');
    expect(metrics).toContain('pug_email_jobs_total{outcome="expired"} 1');
    expect(metrics).toContain('pug_dead_lettered_total{table="email_deliveries",reason="rejected"} 1');
    expect(metrics).toContain('pug_dead_lettered_total{table="email_deliveries",reason="undecodable"} 1');
  });
});
