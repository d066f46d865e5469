// The SMTP client: nodemailer over the URL in PUG_SMTP_URL (smtp:// with STARTTLS when the server offers it, or
// smtps:// for TLS from the start; user and password from the URL). One connection per mail: mail is rare.

import { createTransport } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves with the Message-ID once the server took the mail; rejects with nodemailer's error (code, responseCode, response). */
  send(mail: OutgoingMail): Promise<string | null>;
  close(): void;
}

/** Under the email consumer's ack_wait (120 s), which the worker keeps extending while a mail is on its way. */
const TIMEOUTS = { connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 60_000 };

export function createMailer(smtp: { url: string; from: string }): Mailer {
  const transport = createTransport({ url: smtp.url, ...TIMEOUTS } as SMTPTransport.Options);
  return {
    async send(mail) {
      const info = await transport.sendMail({ from: smtp.from, ...mail });
      return info.messageId || null;
    },
    close: () => transport.close(),
  };
}
