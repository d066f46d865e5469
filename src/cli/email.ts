// `pug email preview <template>`: a mail as the email worker would send it, with made-up data, on stdout. Needs
// no configuration and no running service.
// `pug email replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION]`: dead-lettered mail back onto the email
// stream (needs only NATS); by default only what a fixed cause lets through (retries_exhausted, unopenable), 7d back.

import { EMAIL_TEMPLATES, type EmailTemplate } from "../domain/email/email-job.ts";
import { SAMPLE_RECIPIENT, sampleEmailJob } from "../domain/email/email-samples.ts";
import { renderEmail } from "../domain/email/render.ts";
import { nanos } from "../domain/migrations/nats-declarations.ts";
import { DEFAULT_REPLAY_REASONS, DEFAULT_REPLAY_SINCE, replayEmailDeadLetters } from "../workers/email/email-dlq-replay.ts";
import { DEAD_LETTER_REASONS, type DeadLetterReason } from "../workers/email/email-worker.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const emailPreviewCommand: Command = {
  name: "email preview",
  summary: `print a mail template rendered with sample data (${EMAIL_TEMPLATES.join(", ")})`,
  usage: `pug email preview <${EMAIL_TEMPLATES.join("|")}> [--to ADDR]`,
  async run(args, globals) {
    const { values, positionals } = parseFlags(args, { to: { type: "string" } }, 1);
    const template = positionals[0];
    if (!template) throw new UsageError(`which template? one of ${EMAIL_TEMPLATES.join(", ")}`);
    if (!EMAIL_TEMPLATES.includes(template as EmailTemplate)) throw new UsageError(`unknown template '${template}' (templates: ${EMAIL_TEMPLATES.join(", ")})`);
    const to = values.to ?? SAMPLE_RECIPIENT;
    const mail = renderEmail(sampleEmailJob(template as EmailTemplate, to));
    globals.out([`To: ${to}`, `Subject: ${mail.subject}`, "", "--- text ---", mail.text.trimEnd(), "", "--- html ---", mail.html.trimEnd()].join("\n"));
    return 0;
  },
};

export const emailReplayDlqCommand: Command = {
  name: "email replay-dlq",
  summary: "queue dead-lettered mail (email_dlq) for the email worker again; a mail already sent is not sent twice",
  usage: `pug email replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION] [--env-file FILE]  (reasons: ${DEAD_LETTER_REASONS.join(", ")}; default ${DEFAULT_REPLAY_REASONS.join(",")}, since ${DEFAULT_REPLAY_SINCE})`,
  async run(args, globals) {
    const { values } = parseFlags(args, { "dry-run": { type: "boolean" }, reason: { type: "string" }, since: { type: "string" } });
    const dryRun = values["dry-run"] === true;
    const reasons = values.reason === undefined ? DEFAULT_REPLAY_REASONS : reasonsOf(values.reason);
    const sinceText = values.since ?? DEFAULT_REPLAY_SINCE;
    const since = new Date(Date.now() - durationMs(sinceText));
    const app = appFor(globals, "cli");
    try {
      const { replayed, left } = await replayEmailDeadLetters(await app.nats(), { dryRun, reasons, since });
      for (const letter of replayed) globals.out(`  #${letter.seq}  ${letter.reason}  failed at ${letter.failedAt}: ${letter.detail}`);
      globals.out(`${dryRun ? "would replay" : "replayed"} ${plural(replayed.length, "mail job")} from email_dlq onto the email stream`);
      if (left.otherReason + left.older > 0) {
        const why = [left.otherReason > 0 && `${left.otherReason} dead-lettered for another reason than ${reasons.join(", ")}`, left.older > 0 && `${left.older} dead-lettered over ${sinceText} ago`];
        globals.out(`left ${plural(left.otherReason + left.older, "dead letter")} in email_dlq: ${why.filter(Boolean).join("; ")} (see --reason, --since)`);
      }
      return 0;
    } catch (error) {
      throw new ExitError(1, `pug: could not replay dead-lettered mail: ${(error as Error).message}`);
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function reasonsOf(text: string): DeadLetterReason[] {
  const reasons = text.split(",").map((r) => r.trim());
  for (const reason of reasons) {
    if (!DEAD_LETTER_REASONS.includes(reason as DeadLetterReason)) throw new UsageError(`--reason: unknown reason '${reason}' (reasons: ${DEAD_LETTER_REASONS.join(", ")})`);
  }
  return reasons as DeadLetterReason[];
}

function durationMs(text: string): number {
  if (!/^\d+(s|m|h|d)$/.test(text)) throw new UsageError(`--since: '${text}' is not a duration like 30m, 24h or 7d`);
  return nanos(text) / 1e6;
}
