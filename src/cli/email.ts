// `pug email preview <template>`: a mail as the email worker would send it, with made-up data, on stdout. Needs
// no configuration and no running service.
// `pug email replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION]`: dead-lettered mail back onto the email
// stream (needs only NATS); by default only what a fixed cause lets through (retries_exhausted, unopenable), 7d back.

import { EMAIL_TEMPLATES, type EmailTemplate } from "../domain/email/email-job.ts";
import { SAMPLE_RECIPIENT, sampleEmailJob } from "../domain/email/email-samples.ts";
import { renderEmail } from "../domain/email/render.ts";
import { DEFAULT_REPLAY_REASONS, DEFAULT_REPLAY_SINCE, replayEmailDeadLetters } from "../workers/email/email-dlq-replay.ts";
import { DEAD_LETTER_REASONS, EMAIL_STREAM } from "../workers/email/email-worker.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";
import { replayDlqCommand } from "./replay-dlq-command.ts";

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

export const emailReplayDlqCommand = replayDlqCommand({
  stream: EMAIL_STREAM,
  noun: "mail job",
  onto: "the email stream",
  summary: "queue dead-lettered mail (email_dlq) for the email worker again; a mail already sent is not sent twice",
  reasons: DEAD_LETTER_REASONS,
  defaultReasons: DEFAULT_REPLAY_REASONS,
  defaultSince: DEFAULT_REPLAY_SINCE,
  replay: (nats, options) => replayEmailDeadLetters(nats, options),
});
