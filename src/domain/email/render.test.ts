import { describe, expect, test } from "bun:test";
import { EMAIL_TEMPLATES, type EmailJob } from "./email-job.ts";
import { sampleEmailJob } from "./email-samples.ts";
import { escapeHtml, fillTemplate, renderEmail, UnrenderableEmail } from "./render.ts";

const hostile = `<script>alert("x")</script> & 'co'`;

describe("renderEmail", () => {
  test.each(EMAIL_TEMPLATES.map((t) => [t]))("%s: every placeholder filled, in a complete page with a text part", (template) => {
    const mail = renderEmail(sampleEmailJob(template));
    expect(mail.subject.length).toBeGreaterThan(0);
    for (const part of [mail.subject, mail.text, mail.html]) expect(part).not.toContain("{{");
    expect(mail.html).toStartWith("<!DOCTYPE html>");
    expect(mail.html).toContain(`<title>${escapeHtml(mail.subject)}</title>`);
    expect(mail.html).toContain('<html lang="en">');
  });

  test("magic link: the link as a button and as text in the HTML, on a line of its own in the text", () => {
    const link = "https://dash.example.com/magic-link?token=abc&x=1";
    const mail = renderEmail({ template: "magic_link", idempotencyKey: "k", to: "a@b.c", data: { link, expiresMinutes: 15 } });
    expect(mail.subject).toBe("Your sign-in link for Pug");
    expect(mail.text.split("\n")).toContain(link);
    expect(mail.text).toContain("expires in 15 minutes");
    const escaped = "https://dash.example.com/magic-link?token=abc&amp;x=1";
    expect(mail.html.split(`href="${escaped}"`).length - 1).toBe(2);
    expect(mail.html).toContain(`>${escaped}</a>`);
  });

  test("invitation: every value is HTML-escaped in the HTML part and left as is in the text and subject", () => {
    const job: EmailJob = {
      template: "invitation",
      idempotencyKey: "k",
      to: "a@b.c",
      data: { link: "https://dash.example.com/i?t=1", orgName: hostile, invitedBy: `"Eve" <eve@example.com>`, role: "viewer", expiresDays: 7 },
    };
    const mail = renderEmail(job);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;");
    expect(mail.html).toContain("&quot;Eve&quot; &lt;eve@example.com&gt; invited you to join");
    expect(mail.text).toContain(`"Eve" <eve@example.com> invited you to join ${hostile} as viewer`);
    expect(mail.subject).toBe(`"Eve" <eve@example.com> invited you to ${hostile} on Pug`);
    expect(mail.html).toContain(`<title>&quot;Eve&quot; &lt;eve@example.com&gt; invited you to &lt;script&gt;`);
  });

  test("a line break in a value does not reach the subject header", () => {
    const job: EmailJob = { template: "invitation", idempotencyKey: "k", to: "a@b.c", data: { link: "https://x.test/", orgName: "Acme\r\nBcc: evil@example.com", invitedBy: "g@x.test", role: "admin", expiresDays: 7 } };
    expect(renderEmail(job).subject).toBe("g@x.test invited you to Acme Bcc: evil@example.com on Pug");
  });

  test("a link that is not http(s) is refused", () => {
    const job = (link: string): EmailJob => ({ template: "magic_link", idempotencyKey: "k", to: "a@b.c", data: { link, expiresMinutes: 15 } });
    expect(() => renderEmail(job("javascript:alert(1)"))).toThrow(new UnrenderableEmail("data.link: must be an http(s) URL, not javascript:"));
    expect(() => renderEmail(job("not a url"))).toThrow(UnrenderableEmail);
  });

  test("the test mail carries its note, escaped", () => {
    const mail = renderEmail({ template: "test", idempotencyKey: "k", to: "a@b.c", data: { note: "a < b" } });
    expect(mail.html).toContain("a &lt; b");
    expect(mail.text).toContain("a < b");
  });
});

describe("fillTemplate", () => {
  test("replaces every occurrence once, without reading values as templates", () => {
    expect(fillTemplate("{{a}}-{{ a }}-{{b}}", { a: "{{b}}", b: "2" })).toBe("{{b}}-{{b}}-2");
  });
  test("a placeholder without a value is an error naming it", () => {
    expect(() => fillTemplate("hi {{name}}", {})).toThrow("email template names {{name}}, which has no value");
  });
});
