import { createTransport } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { type CheckResult, errorText, fail, ms, ok, timed, warn, withTimeout } from "./check.ts";

export async function smtpChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const smtp = app.config.smtp;
  if (!smtp) {
    return [warn("smtp reachable", "PUG_SMTP_URL is not set: no mail is sent; sign-in links and invitations wait on the email stream", "set PUG_SMTP_URL and restart `pug worker email`, or sign in with `pug login-link EMAIL`")];
  }
  const transport = createTransport({ url: smtp.url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs } as SMTPTransport.Options);
  try {
    const { ms: latency } = await timed(() => withTimeout(transport.verify(), timeoutMs * 2, "smtp"));
    return [ok("smtp reachable", ms(latency))];
  } catch (error) {
    return [fail("smtp reachable", errorText(error), `check PUG_SMTP_URL (${redactUrl(smtp.url)}) and that the mail server accepts this host`)];
  } finally {
    transport.close();
  }
}
