// `pug email preview` as an operator runs it: no services, no configuration.

import { expect, test } from "bun:test";
import { runPug } from "../support/pug-process.ts";

// Nothing reachable: the preview must not need any service.
const noServices = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", NATS_URL: "nats://127.0.0.1:1" };

test("renders the magic link with sample data: subject, text and HTML", async () => {
  const result = await runPug(["email", "preview", "magic_link", "--to", "lin@example.com"], noServices);
  expect([result.code, result.stderr]).toEqual([0, ""]);
  const [head, rest] = result.stdout.split("\n--- text ---\n");
  expect(head).toBe("To: lin@example.com\nSubject: Your sign-in link for Pug\n");
  const [text, html] = rest!.split("\n--- html ---\n");
  expect(text!.split("\n")).toContain("https://pug.example.com/magic-link?token=pug_sample_token");
  expect(html).toStartWith("<!DOCTYPE html>");
  expect(html).toContain('<a href="https://pug.example.com/magic-link?token=pug_sample_token"');
});

test("an unknown template is a usage error listing the templates", async () => {
  const result = await runPug(["email", "preview", "welcome"], noServices);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toBe("pug: unknown template 'welcome' (templates: magic_link, invitation, test)\nusage: pug email preview <magic_link|invitation|test> [--to ADDR]\n");
});
