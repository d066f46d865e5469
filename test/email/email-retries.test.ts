// When mail cannot be sent for a while: dead-lettered mail queued again with `pug email replay-dlq` (by reason and
// age; a job whose link has expired meanwhile is dropped, not sent), a mail refused
// for now on every attempt dead-lettered once its attempts run out, and refused SMTP credentials retried like an
// outage (not dead-lettered at once). The consumer's attempts are lowered to 3 for the last two, and the retry
// base to its minimum, to keep the run short.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { headers } from "@nats-io/transport-node";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import { emailSealKey, sealEmailJob } from "../../src/domain/email/email-seal.ts";
import type { Nats } from "../../src/infra/nats.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { queueEmail } from "../../src/server/dashboard/email-queue.ts";
import { listDeliveries } from "../../src/store/email-deliveries.ts";
import { type EmailScratch, type EmailWorkerHarness, type EmailWorkerProcess, emailScratch, magicLinkJob } from "../support/email-worker-process.ts";
import { waitFor } from "../support/ports.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { type ScratchEnv, TEST_JWT_SECRET } from "../support/scratch.ts";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.ts";

let scratch: EmailScratch | undefined;
let env: ScratchEnv;
let nats: Nats;
let sql: Sql;
let harness: EmailWorkerHarness;
let peer: SmtpPeer;
let authPeer: SmtpPeer;
let worker: EmailWorkerProcess | undefined;
const key = emailSealKey(TEST_JWT_SECRET);

beforeAll(async () => {
  scratch = await emailScratch("email_retries");
  ({ env, nats, sql, harness } = scratch);
  peer = await startSmtpPeer();
  authPeer = await startSmtpPeer({ credentials: { user: "pug", pass: "right" } });
});
afterAll(async () => {
  await worker?.stop();
  await scratch?.close();
  await peer?.stop();
  await authPeer?.stop();
});

async function restartWorker(smtpUrl: string): Promise<void> {
  await worker?.stop();
  worker = harness.start({ PUG_SMTP_URL: smtpUrl, PUG_EMAIL_RETRY_BASE_MS: "100" });
  await harness.untilPulling(worker);
}

/** `job` put in email_dlq as the worker would after its retries ran out. */
async function deadLetterDirectly(job: EmailJob, msgID: string): Promise<void> {
  await nats.js.publish(nats.names.subject("email_dlq", "retries_exhausted"), sealEmailJob(key, job), { msgID, headers: reasonHeader("retries_exhausted") });
}
function reasonHeader(reason: string) {
  const h = headers();
  h.set("Pug-Reason", reason);
  h.set("Pug-Detail", "smtp 451 4.3.0 Try again later");
  h.set("Pug-Failed-At", new Date().toISOString());
  return h;
}

const replayDlq = async (...flags: string[]) => expectSuccess(await runPug(["email", "replay-dlq", ...flags], env)).stdout;
const sentKeys = async () => (await listDeliveries(sql)).map((d) => d.idempotencyKey);
const metric = async (line: string) => (await (await fetch(worker!.metricsUrl)).text()).split("\n").find((l) => l.startsWith(`${line} `))?.split(" ")[1];

describe("dead-lettered mail and `pug email replay-dlq`", () => {
  test("a mail refused for good (550) is dead-lettered; once the server takes it, a replay sends it once; replaying a sent one sends nothing", async () => {
    expect((await harness.consumer()).config.max_deliver).toBe(25);
    await restartWorker(peer.url);
    peer.refuse("bounced@pug.test", 550, "5.1.1 No such mailbox", 1);
    await queueEmail(nats, key, magicLinkJob("bounced@pug.test", "k-bounced"));
    await waitFor("a dead letter", async () => (await harness.deadLettered()) === 1);
    const { data } = (await harness.deadLetter("rejected"))!;

    // Refused for good comes straight back: not replayed unless asked for by reason.
    expect(await replayDlq("--dry-run")).toBe(
      "would replay 0 mail jobs from email_dlq onto the email stream\nleft 1 dead letter in email_dlq: 1 dead-lettered for another reason than retries_exhausted, unopenable (see --reason, --since)\n",
    );
    const dry = await replayDlq("--dry-run", "--reason", "rejected,retries_exhausted");
    expect(dry).toMatch(/^ {2}#1 {2}rejected {2}failed at \d{4}-\d\d-\d\dT[\d:.]+Z: smtp 550 5\.1\.1 No such mailbox\n/);
    expect(dry).toEndWith("would replay 1 mail job from email_dlq onto the email stream\n");
    await Bun.sleep(300);
    expect([await harness.deadLettered(), peer.mailsTo("bounced@pug.test").length]).toEqual([1, 0]);

    expect(await replayDlq("--reason", "rejected")).toEndWith("replayed 1 mail job from email_dlq onto the email stream\n");
    await peer.waitForMails("bounced@pug.test");
    await waitFor("the job acknowledged", harness.drained);
    expect([await harness.deadLettered(), peer.attempts("bounced@pug.test")]).toEqual([0, 2]);
    expect(await sentKeys()).toEqual(["k-bounced"]);
    expect(await replayDlq()).toBe("replayed 0 mail jobs from email_dlq onto the email stream\n");

    // The same job dead-lettered again after all (say a replay raced a send): queued again, not sent twice.
    await nats.js.publish(nats.names.subject("email_dlq", "rejected"), data, { msgID: "again", headers: reasonHeader("rejected") });
    expect(await replayDlq("--reason", "rejected")).toEndWith("replayed 1 mail job from email_dlq onto the email stream\n");
    await waitFor("the job acknowledged", async () => (await harness.consumer()).delivered.stream_seq === 3 && (await harness.drained()));
    expect(peer.mailsTo("bounced@pug.test")).toHaveLength(1);
    expect(await metric('pug_email_jobs_total{outcome="duplicate"}')).toBe("1");
  });

  test("--since leaves older dead letters in place, counted; a replayed job whose link has expired is dropped, not sent", async () => {
    await deadLetterDirectly(magicLinkJob("older@pug.test", "k-older"), "older");
    // --since 4s parts them while the replay command starts within 4 s of the newer ones (a loaded CI machine once
    // took over 1 s).
    await Bun.sleep(5_000);
    await deadLetterDirectly({ ...magicLinkJob("expired@pug.test", "k-expired"), notAfter: Date.now() - 1 }, "expired");
    await deadLetterDirectly(magicLinkJob("newer@pug.test", "k-newer"), "newer");
    expect(await replayDlq("--since", "4s")).toEndWith(
      "replayed 2 mail jobs from email_dlq onto the email stream\nleft 1 dead letter in email_dlq: 1 dead-lettered over 4s ago (see --reason, --since)\n",
    );
    await peer.waitForMails("newer@pug.test");
    await waitFor("the jobs acknowledged", harness.drained);
    expect(await metric('pug_email_jobs_total{outcome="expired"}')).toBe("1");
    expect([peer.attempts("expired@pug.test"), peer.attempts("older@pug.test"), await harness.deadLettered()]).toEqual([0, 0, 1]);
    expect(await sentKeys()).not.toContain("k-expired");

    // The default reaches 7 days back.
    expect(await replayDlq()).toMatch(/^ {2}#\d+ {2}retries_exhausted {2}failed at .*\nreplayed 1 mail job from email_dlq onto the email stream\n$/);
    await peer.waitForMails("older@pug.test");
  });

  test.each([
    [["--reason", "bounced"], "pug: --reason: unknown reason 'bounced' (reasons: unopenable, undecodable, unrenderable, rejected, retries_exhausted)"],
    [["--since", "7days"], "pug: --since: '7days' is not a duration like 30m, 24h or 7d"],
  ])("replay-dlq %p is a usage error", async (flags, message) => {
    const result = await runPug(["email", "replay-dlq", ...flags], env);
    expect([result.code, result.stderr.split("\n")[0]]).toEqual([2, message]);
  });
});

describe("attempts running out", () => {
  test("a mail refused for now (451) on every attempt is dead-lettered after the consumer's last delivery, with the last reply", async () => {
    await nats.jsm.consumers.update(nats.names.stream("email"), "email-worker", { max_deliver: 3 });
    await restartWorker(peer.url);
    peer.refuse("never@pug.test", 451, "4.3.0 Try again later");
    await queueEmail(nats, key, magicLinkJob("never@pug.test", "k-never"));
    await waitFor("a dead letter", async () => (await harness.deadLetter("retries_exhausted")) !== undefined);
    expect((await harness.deadLetter("retries_exhausted"))!.detail).toBe("smtp 451 4.3.0 Try again later");
    await waitFor("the job acknowledged", harness.drained);
    expect(peer.attempts("never@pug.test")).toBe(3);
    expect(await sentKeys()).not.toContain("k-never");
    expect(await metric('pug_email_jobs_total{outcome="retried"}')).toBe("2");
    expect(await metric('pug_email_jobs_total{outcome="dead_lettered"}')).toBe("1");
    expect(await metric('pug_dead_lettered_total{table="email_deliveries",reason="retries_exhausted"}')).toBe("1");
  });

  test("refused credentials (EAUTH, 535) are retried like an outage, counted, and dead-lettered only when attempts run out", async () => {
    const url = new URL(authPeer.url);
    url.username = "pug";
    url.password = "wrong";
    await restartWorker(url.toString());
    await queueEmail(nats, key, magicLinkJob("locked-out@pug.test", "k-locked-out"));
    await waitFor("a dead letter", async () => (await harness.deadLetter("retries_exhausted"))?.detail?.includes("535") === true);
    expect((await harness.deadLetter("retries_exhausted"))!.detail).toBe("smtp 535 5.7.8 Authentication credentials invalid");
    expect(await harness.deadLetter("rejected")).toBeUndefined();
    await waitFor("the job acknowledged", harness.drained);
    expect([authPeer.logins(), authPeer.attempts("locked-out@pug.test"), authPeer.mails.length]).toEqual([3, 0, 0]);
    expect(await metric('pug_email_jobs_total{outcome="retried"}')).toBe("2");
    expect(await metric('pug_email_jobs_total{outcome="dead_lettered"}')).toBe("1");
  });
});
