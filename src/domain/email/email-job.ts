// A mail to send, as queued on the `email` stream by the server and read by the email worker. The idempotency
// key is also the JetStream message id and the email_deliveries key: a job queued or delivered twice is sent once.
// `notAfter` (ms since the epoch) is when the mail stops being worth sending, the expiry of the link it carries: the
// worker drops a job past it rather than mail a dead link (after retries, or replayed from the DLQ days later).

import * as v from "valibot";

const text = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));

const MagicLinkData = v.object({ link: text(2000), expiresMinutes: v.number() });
const InvitationData = v.object({ link: text(2000), orgName: text(200), invitedBy: text(320), role: text(20), expiresDays: v.number() });
const TestData = v.object({ note: v.optional(v.string()) });

const envelope = { idempotencyKey: text(200), to: text(320), notAfter: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))) };

const EmailJobSchema = v.variant("template", [
  v.object({ template: v.literal("magic_link"), ...envelope, data: MagicLinkData }),
  v.object({ template: v.literal("invitation"), ...envelope, data: InvitationData }),
  v.object({ template: v.literal("test"), ...envelope, data: TestData }),
]);

export type EmailJob = v.InferOutput<typeof EmailJobSchema>;
export type EmailTemplate = EmailJob["template"];
export const EMAIL_TEMPLATES: readonly EmailTemplate[] = ["magic_link", "invitation", "test"];

export function encodeEmailJob(job: EmailJob): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v.parse(EmailJobSchema, job)));
}

/** Whether the job's mail is no longer worth sending at `now` (ms since the epoch). */
export function emailJobExpired(job: EmailJob, now: number): boolean {
  return job.notAfter !== undefined && now > job.notAfter;
}

/** The job in a queued message; throws a message naming what is wrong when it is not one. */
export function decodeEmailJob(body: Uint8Array): EmailJob {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new Error("email job: not JSON");
  }
  const result = v.safeParse(EmailJobSchema, json);
  if (!result.success) throw new Error(`email job: ${result.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ")}`);
  return result.output;
}
