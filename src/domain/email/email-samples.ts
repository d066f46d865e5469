// A job of each kind with made-up data, for `pug email preview` and the renderer's tests.

import type { EmailJob, EmailTemplate } from "./email-job.ts";

export const SAMPLE_RECIPIENT = "ada@example.com";

export function sampleEmailJob(template: EmailTemplate, to = SAMPLE_RECIPIENT): EmailJob {
  const idempotencyKey = `preview:${template}`;
  switch (template) {
    case "magic_link":
      return { template, idempotencyKey, to, data: { link: "https://pug.example.com/magic-link?token=pug_sample_token", expiresMinutes: 15 } };
    case "invitation":
      return {
        template,
        idempotencyKey,
        to,
        data: { link: "https://pug.example.com/invitations/accept?token=pug_sample_token", orgName: "Acme Analytics", invitedBy: "grace@example.com", role: "member", expiresDays: 7 },
      };
    case "test":
      return { template, idempotencyKey, to, data: { note: "Sent by `pug email preview test`." } };
  }
}
