// `pug worker email` as a process against a real SMTP server (test/support/smtp-peer.ts): what arrives, what is
// sent once, retried or dead-lettered. Jobs are queued the way the server queues them (queueEmail).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type EmailJob, encodeEmailJob } from "../../src/domain/email/email-job.ts";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { queueEmail } from "../../src/server/dashboard/email-queue.ts";
import { listDeliveries } from "../../src/store/email-deliveries.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { expectSuccess, type RunningPug, runPug, startPug } from "../support/pug-process.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.ts";

let env: ScratchEnv;
let peer: SmtpPeer;
let nats: Nats;
let sql: Sql;
let worker: RunningPug | undefined;
let metricsUrl: string;

beforeAll(async () => {
  env = await scratchEnv("email");
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
  peer = await startSmtpPeer();
  nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
  sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await nats?.close();
  await sql?.end();
  await peer?.stop();
});

/** Starts `pug worker email` (its health and metrics listener: the given port + 2, see worker-roles.ts). */
function startWorker(extra: Record<string, string>): RunningPug {
  const port = freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  return startPug(["worker", "email"], { ...env, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${port - 2}`, PUG_LOG_LEVEL: "info", PUG_EMAIL_FROM: "Pug <pug@pug.test>", ...extra });
}

async function untilPulling(running: RunningPug): Promise<void> {
  await waitFor("the email worker to pull from its consumer", async () => {
    if (running.proc.exitCode !== null) throw new Error(`email worker exited: ${running.output()}`);
    return (await consumer()).num_waiting > 0;
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${running.output()}`);
  });
}

const consumer = () => nats.jsm.consumers.info(nats.names.stream("email"), "email-worker");
/** Every queued message handled: none waiting, none delivered and unacknowledged. */
const drained = async () => {
  const info = await consumer();
  return info.num_pending === 0 && info.num_ack_pending === 0;
};

const magicLink = (to: string, key: string, token = key): EmailJob => ({
  template: "magic_link",
  idempotencyKey: key,
  to,
  data: { link: `https://dash.pug.test/magic-link?token=${token}`, expiresMinutes: 15 },
});

async function deadLetters(reason: string) {
  const stored = await nats.jsm.streams.getMessage(nats.names.stream("email_dlq"), { last_by_subj: nats.names.subject("email_dlq", reason) });
  if (!stored) return undefined;
  return { data: new TextDecoder().decode(stored.data), reason: stored.header.get("Pug-Reason"), detail: stored.header.get("Pug-Detail"), sourceStream: stored.header.get("Pug-Source-Stream") };
}

describe("pug worker email", () => {
  test("without SMTP it says so and takes no mail; once configured and restarted it sends what waited", async () => {
    const idle = startWorker({ PUG_SMTP_URL: "" });
    await queueEmail(nats, magicLink("waiting@pug.test", "k-waiting"));
    await waitFor("the warning", () => idle.output().includes("PUG_SMTP_URL is not set: no mail is sent"));
    await Bun.sleep(500);
    expect(await idle.stop()).toBe(0);
    const info = await consumer();
    expect([info.num_pending, info.delivered.consumer_seq]).toEqual([1, 0]);

    worker = startWorker({ PUG_SMTP_URL: peer.url, PUG_EMAIL_RETRY_BASE_MS: "300" });
    await untilPulling(worker);
    const [mail] = await peer.waitForMails("waiting@pug.test");
    expect(mail!.text).toContain("https://dash.pug.test/magic-link?token=k-waiting");
  });

  test("a magic link arrives once, to its address, with the link in its text and HTML; the delivery is recorded", async () => {
    const job = magicLink("ada@pug.test", "k-ada", "tok_ada_123");
    await queueEmail(nats, job);
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
    await nats.js.publish(nats.names.subject("email", "send"), encodeEmailJob(job), { msgID: "first" });
    await nats.js.publish(nats.names.subject("email", "send"), encodeEmailJob(job), { msgID: "second" });
    await peer.waitForMails("twice@pug.test");
    await waitFor("both messages acknowledged", drained);
    await Bun.sleep(300);
    expect(peer.mailsTo("twice@pug.test")).toHaveLength(1);
    expect(peer.attempts("twice@pug.test")).toBe(1);
  });

  test("refused for now (451) twice, then accepted: delivered once, after two retries", async () => {
    peer.refuse("later@pug.test", 451, "4.3.0 Try again later", 2);
    await queueEmail(nats, magicLink("later@pug.test", "k-later"));
    const mails = await peer.waitForMails("later@pug.test", 1, 20_000);
    await waitFor("the job acknowledged", drained);
    expect(mails).toHaveLength(1);
    expect(peer.attempts("later@pug.test")).toBe(3);
  });

  test("refused for good (550): dead-lettered at once with the server's reply, nothing sent or recorded", async () => {
    peer.refuse("nobody@pug.test", 550, "5.1.1 No such mailbox");
    const job = magicLink("nobody@pug.test", "k-nobody");
    await queueEmail(nats, job);
    await waitFor("a dead letter", async () => (await deadLetters("rejected")) !== undefined);
    const letter = await deadLetters("rejected");
    expect(letter).toEqual({ data: new TextDecoder().decode(encodeEmailJob(job)), reason: "rejected", detail: "smtp 550 5.1.1 No such mailbox", sourceStream: nats.names.stream("email") });
    await waitFor("the job acknowledged", drained);
    expect(peer.attempts("nobody@pug.test")).toBe(1);
    expect(peer.mailsTo("nobody@pug.test")).toEqual([]);
    expect((await listDeliveries(sql)).map((d) => d.idempotencyKey)).not.toContain("k-nobody");
  });

  test("a message that is not a job is dead-lettered at once with why", async () => {
    await nats.js.publish(nats.names.subject("email", "send"), new TextEncoder().encode('{"template":"magic_link","to":"x@pug.test"}'), { msgID: "garbage" });
    await waitFor("a dead letter", async () => (await deadLetters("undecodable")) !== undefined);
    const letter = await deadLetters("undecodable");
    expect(letter!.data).toBe('{"template":"magic_link","to":"x@pug.test"}');
    expect(letter!.detail).toStartWith("email job: ");
    expect(letter!.detail).toContain("idempotencyKey");
    await waitFor("the message acknowledged", drained);
  });

  test("every outcome is counted in /metrics", async () => {
    const metrics = await (await fetch(metricsUrl)).text();
    // Sent: the waiting one, ada, twice, later. Retried: later's two refusals. Dead-lettered: nobody and the garbage.
    expect(metrics).toContain('pug_email_jobs_total{outcome="sent"} 4');
    expect(metrics).toContain('pug_email_jobs_total{outcome="duplicate"} 1');
    expect(metrics).toContain('pug_email_jobs_total{outcome="retried"} 2');
    expect(metrics).toContain('pug_email_jobs_total{outcome="dead_lettered"} 2');
    expect(metrics).toContain('pug_dead_lettered_total{table="email_deliveries",reason="rejected"} 1');
    expect(metrics).toContain('pug_dead_lettered_total{table="email_deliveries",reason="undecodable"} 1');
  });
});
