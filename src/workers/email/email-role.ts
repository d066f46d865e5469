// `pug worker email`: sends queued mail over SMTP (email-worker.ts). Without PUG_SMTP_URL it says so and takes no
// mail: jobs stay queued on the `email` stream until an operator configures SMTP and restarts the worker. The same
// without PUG_JWT_SECRET_KEY: queued jobs are sealed with a key derived from it, and only it opens them (or, during a
// key change, PUG_JWT_SECRET_KEY_PREVIOUS: jobs queued before the change).

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { untilAborted } from "../../domain/backoff.ts";
import { emailSealKey } from "../../domain/email/email-seal.ts";
import { createMailer } from "../../infra/smtp.ts";
import { runEmailWorker } from "./email-worker.ts";

export function emailWorkerRole(app: App): Role {
  return {
    name: "email",
    async run(signal) {
      const smtp = app.config.smtp;
      if (!smtp) {
        app.log.warn("PUG_SMTP_URL is not set: no mail is sent; queued mail (sign-in links, invitations) waits on the email stream until SMTP is configured and this worker restarted", { role: "email" });
        return await untilAborted(signal);
      }
      const secret = app.config.server.jwtSecret;
      if (!secret) {
        app.log.warn("PUG_JWT_SECRET_KEY is not set: no mail is sent; queued mail is sealed with a key derived from it (the server's), so jobs wait on the email stream until it is set to the server's value and this worker restarted", { role: "email" });
        return await untilAborted(signal);
      }
      const mailer = createMailer(smtp);
      try {
        const previous = app.config.server.jwtPreviousSecret;
        await runEmailWorker(app, mailer, previous ? [emailSealKey(secret), emailSealKey(previous)] : [emailSealKey(secret)], signal);
      } finally {
        mailer.close();
      }
    },
  };
}
