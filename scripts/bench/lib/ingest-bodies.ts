// Pre-encoded SDK request bodies (binary protobuf BatchCreateRequest), every event distinct: JetStream drops a
// message whose content-derived id it has seen, so repeated bodies would be free and flatter the figures.

import { writeFileSync } from "node:fs";
import { batchBody, sdkEvent } from "../../../test/support/sdk-events.ts";

/**
 * Where a bench event happened, so that the worker sees a site's variety rather than one URL: 5,000 pages, the
 * first ones far more visited (a page's share falls as 1/rank), a fifth of visits from a campaign link, and
 * referrers from 200 sites.
 */
function visit(): { url: string; referrer: string } {
  const page = Math.floor(Math.exp(Math.random() * Math.log(5_000)));
  const campaign = Math.random() < 0.2 ? `?utm_source=news${page % 7}&utm_medium=email&utm_campaign=c${page % 31}` : "";
  return { url: `https://shop.example.com/p/${page}${campaign}`, referrer: `https://www.site${Math.floor(Math.random() * 200)}.example/` };
}

/** Events per batch request, as the web SDK sends them. */
export const BATCH = 50;

/** One body per batch; a batch comes from one browser, so its events share a distinct id of their own. */
export function batchBodies(projectId: string, batches: number, size: number, distinctPrefix: string): Uint8Array[] {
  return Array.from({ length: batches }, (_, i) => {
    const distinctId = `${distinctPrefix}-${i}`;
    return batchBody(Array.from({ length: size }, () => sdkEvent(projectId, { distinctId, ...visit() })));
  });
}

export interface RotatingBody {
  body: Uint8Array;
  /** Byte offset of the last 12 hex digits of the event's id: a sender rewrites them on each pass over the set. */
  tagAt: number;
}

/** Single-event bodies over `people` distinct ids, each with the offset of its event id's last group. */
export function singleBodies(projectId: string, count: number, people = 1000): RotatingBody[] {
  return Array.from({ length: count }, (_, i) => {
    const event = sdkEvent(projectId, { distinctId: `single-${i % people}`, ...visit() });
    const body = batchBody([event]);
    const at = Buffer.from(body).indexOf(event.eventId);
    if (at < 0) throw new Error("the event id is not in its encoded body as text");
    return { body, tagAt: at + 24 };
  });
}

/** Twelve hex digits naming a pass over the body set and the sender: unique per (sender, pass). */
export const passTag = (sender: number, pass: number) => sender.toString(16).padStart(4, "0") + pass.toString(16).padStart(8, "0");

/** The body as sent on the given pass: as encoded on pass 0, with its event id rewritten after that. */
export function bodyForPass(body: RotatingBody, sender: number, pass: number): Uint8Array {
  if (pass === 0) return body.body;
  const copy = Uint8Array.from(body.body);
  copy.set(new TextEncoder().encode(passTag(sender, pass)), body.tagAt);
  return copy;
}

/** Writes the bodies for wrk's Lua script: per body a line "<tagAt> <length>\n" followed by its bytes. */
export function writeBodiesFile(path: string, bodies: RotatingBody[]): void {
  const parts: Uint8Array[] = [];
  for (const { body, tagAt } of bodies) parts.push(new TextEncoder().encode(`${tagAt} ${body.length}\n`), body);
  writeFileSync(path, Buffer.concat(parts));
}
