// Queues a mail for the email worker; resolves once JetStream has stored it.

import { type EmailJob, encodeEmailJob } from "../../domain/email/email-job.ts";
import type { Nats } from "../../infra/nats.ts";

export async function queueEmail(nats: Nats, job: EmailJob, timeoutMs = 3_000): Promise<void> {
  await nats.js.publish(nats.names.subject("email", "send"), encodeEmailJob(job), { msgID: job.idempotencyKey, timeout: timeoutMs });
}
