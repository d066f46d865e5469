// Messages the worker can never store go to the stream's dead-letter twin, with why, so an operator can look at
// them and the stream moves on. The message id makes a repeated move harmless.

import { headers } from "@nats-io/transport-node";
import type { Nats } from "../../infra/nats.ts";

export async function deadLetter(nats: Nats, stream: string, seq: number, data: Uint8Array, reason: string, detail: string): Promise<void> {
  const h = headers();
  h.set("Pug-Reason", reason);
  h.set("Pug-Detail", detail.slice(0, 1000));
  h.set("Pug-Source-Stream", nats.names.stream(stream));
  h.set("Pug-Source-Seq", String(seq));
  h.set("Pug-Failed-At", new Date().toISOString());
  await nats.js.publish(nats.names.subject(`${stream}_dlq`, reason), data, { headers: h, msgID: `dlq:${stream}:${seq}` });
}
