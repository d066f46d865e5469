// Queues a mail for the email worker, sealed (src/domain/email/email-seal.ts); resolves once JetStream has stored it.

import type { EmailJob } from "../../domain/email/email-job.ts";
import { type EmailSealKey, emailSealKey, sealEmailJob } from "../../domain/email/email-seal.ts";
import type { Nats } from "../../infra/nats.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export async function queueEmail(nats: Nats, key: EmailSealKey, job: EmailJob, timeoutMs = 3_000): Promise<void> {
  await nats.js.publish(nats.names.subject("email", "send"), sealEmailJob(key, job), { msgID: job.idempotencyKey, timeout: timeoutMs });
}

/** The key mail is sealed with, or the refusal to queue any mail when PUG_JWT_SECRET_KEY is not set. */
export function emailSealKeyOrRefuse(jwtSecret: string | undefined): EmailSealKey {
  if (!jwtSecret) throw new ConnectError("this server cannot queue mail: PUG_JWT_SECRET_KEY is not set (queued mail is sealed with a key derived from it; dashboard sign-in is off without it too)", Code.FailedPrecondition);
  return emailSealKey(jwtSecret);
}
