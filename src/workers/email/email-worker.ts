// The loop of `pug worker email`: takes EmailJob messages from the `email` stream (consumer `email-worker`) one at
// a time, renders each and sends it over SMTP, once per idempotency key (src/store/email-deliveries.ts).
//
// Jobs are sealed (src/domain/email/email-seal.ts) and opened only here, with PUG_JWT_SECRET_KEY or, during a key
// change, PUG_JWT_SECRET_KEY_PREVIOUS. A message that opens with neither is retried like a failed send: the key may be
// set (or a worker with the old value replaced) within the retry window, and then nothing is lost. A sealed message
// that is not a job, or a job that cannot be made into a mail, is dead-lettered at once: retrying would not change
// it. A job past its notAfter (its link has expired) is dropped, acknowledged and counted as `expired`. Dead letters
// keep the sealed bytes, never the link. A send the server refuses for good (5xx) is dead-lettered at once with its
// reply. A refusal for now (4xx) or no way to the server is retried by JetStream: the message is nak'ed with a
// growing delay, and on its last delivery (the consumer's max_deliver, 25: migrations/nats/0003_email_retries.json)
// dead-lettered with the last reason (`unopenable` for a job that never opened). Delays double from
// PUG_EMAIL_RETRY_BASE_MS up to 15 minutes, so retries span hours (about 3½ with the defaults). Dead letters go to
// `email_dlq`; `pug email replay-dlq` queues them again.

import type { JsMsg } from "@nats-io/jetstream";
import type { App } from "../../app/app.ts";
import { backoffDelay } from "../../domain/backoff.ts";
import { type EmailJob, emailJobExpired } from "../../domain/email/email-job.ts";
import { type EmailSealKey, openEmailJob, UnopenableEmailJob } from "../../domain/email/email-seal.ts";
import { renderEmail } from "../../domain/email/render.ts";
import { classifySendFailure, type SendError, type SendFailure } from "../../domain/email/send-failure.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Mailer } from "../../infra/smtp.ts";
import type { Logger } from "../../logger.ts";
import { deadLetter } from "../../pipeline/dead-letter.ts";
import { pullOneByOne } from "../../pipeline/pull-one-by-one.ts";
import { deliverOnce } from "../../store/email-deliveries.ts";
import { requireConsumer } from "../idle-role.ts";

export const EMAIL_STREAM = "email";
export const EMAIL_CONSUMER = "email-worker";

/** Under the consumer's ack_wait (120 s): a slow server does not get the mail handed to a second worker. */
const KEEP_ALIVE_MS = 30_000;
/** The longest wait between two attempts at one mail. */
const RETRY_CAP_MS = 15 * 60_000;

/** Why a message went to `email_dlq` (the subject's last token and the Pug-Reason header). */
export const DEAD_LETTER_REASONS = ["unopenable", "undecodable", "unrenderable", "rejected", "retries_exhausted"] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** The SMTP server did not take the mail; carries what nodemailer said. */
class NotSent extends Error {
  constructor(readonly failure: SendFailure) {
    super(failure.reason);
  }
}

/** `keys`: the current key first (PUG_JWT_SECRET_KEY), then during a key change the previous one. */
export async function runEmailWorker(app: App, mailer: Mailer, keys: readonly EmailSealKey[], signal: AbortSignal): Promise<void> {
  await requireConsumer(app, EMAIL_STREAM, EMAIL_CONSUMER);
  const nats = await app.nats();
  const consumer = await nats.js.consumers.get(nats.names.stream(EMAIL_STREAM), EMAIL_CONSUMER);
  const maxDeliver = (await consumer.info()).config.max_deliver ?? -1;
  const log = app.log.child({ role: "email" });
  const worker = new EmailWorker(app, nats, mailer, keys, log, signal, maxDeliver);
  log.info("consumer bound", { stream: EMAIL_STREAM, consumer: EMAIL_CONSUMER });
  await pullOneByOne(consumer, (message) => worker.onMessage(message), signal, log, "mail jobs");
}

class EmailWorker {
  constructor(
    private readonly app: App,
    private readonly nats: Nats,
    private readonly mailer: Mailer,
    private readonly keys: readonly EmailSealKey[],
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly maxDeliver: number,
  ) {}

  async onMessage(message: JsMsg): Promise<void> {
    let job: EmailJob;
    let mail: ReturnType<typeof renderEmail>;
    try {
      job = openEmailJob(this.keys, message.data);
    } catch (error) {
      if (!(error instanceof UnopenableEmailJob)) return await this.#deadLetter(message, "undecodable", (error as Error).message);
      return await this.#retryOrDeadLetter(message, "unopenable", error.message, { seq: message.seq, delivery: message.info.deliveryCount });
    }
    const about = { template: job.template, idempotency_key: job.idempotencyKey, seq: message.seq, delivery: message.info.deliveryCount };
    if (emailJobExpired(job, Date.now())) {
      this.log.info("mail past its notAfter (its link has expired); dropped unsent", { ...about, not_after: new Date(job.notAfter!).toISOString() });
      this.app.metrics.emails.inc({ outcome: "expired" });
      message.ack();
      return;
    }
    try {
      mail = renderEmail(job);
    } catch (error) {
      return await this.#deadLetter(message, "unrenderable", (error as Error).message);
    }
    const keepAlive = setInterval(() => message.working(), KEEP_ALIVE_MS);
    let failure: SendFailure;
    try {
      const outcome = await deliverOnce(this.app.postgres(), { idempotencyKey: job.idempotencyKey, template: job.template, recipient: job.to }, async () => {
        try {
          return await this.mailer.send({ to: job.to, ...mail });
        } catch (error) {
          throw new NotSent(classifySendFailure(error as SendError));
        }
      });
      this.app.metrics.emails.inc({ outcome });
      this.log.info(outcome === "sent" ? "mail sent" : "mail already sent under this idempotency key; skipped", about);
      message.ack();
      return;
    } catch (error) {
      // Not sent, or sent but not recorded (Postgres failed): both are tried again, the second at least once more.
      failure = error instanceof NotSent ? error.failure : { kind: "transient", reason: `postgres: ${(error as Error).message}` };
    } finally {
      clearInterval(keepAlive);
    }
    if (failure.kind === "permanent") {
      this.log.warn("mail refused for good; dead-lettered", { ...about, reason: failure.reason });
      return await this.#deadLetter(message, "rejected", failure.reason);
    }
    await this.#retryOrDeadLetter(message, "retries_exhausted", failure.reason, about);
  }

  /** Tried again later with a growing delay; dead-lettered for `reason` on the consumer's last delivery. */
  async #retryOrDeadLetter(message: JsMsg, reason: "unopenable" | "retries_exhausted", detail: string, about: Record<string, unknown>): Promise<void> {
    if (this.maxDeliver > 0 && message.info.deliveryCount >= this.maxDeliver) {
      this.log.error("mail not sent after its last attempt; dead-lettered", { ...about, reason: detail });
      return await this.#deadLetter(message, reason, detail);
    }
    const base = this.app.config.emailWorker.retryBaseMs;
    const delay = backoffDelay(message.info.deliveryCount, { baseMs: base, maxMs: Math.max(base, RETRY_CAP_MS) });
    this.log.warn(reason === "unopenable" ? "mail job does not open (PUG_JWT_SECRET_KEY changed?); retrying later" : "mail not sent; retrying later", { ...about, reason: detail, retry_in_ms: delay });
    this.app.metrics.emails.inc({ outcome: "retried" });
    message.nak(delay);
  }

  async #deadLetter(message: JsMsg, reason: DeadLetterReason, detail: string): Promise<void> {
    await deadLetter(this.nats, { stream: EMAIL_STREAM, seq: message.seq, data: message.data, reason, detail }, this.signal, this.log);
    this.app.metrics.deadLettered.inc({ table: "email_deliveries", reason });
    this.app.metrics.emails.inc({ outcome: "dead_lettered" });
    message.ack();
  }
}
