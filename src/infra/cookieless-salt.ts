// The daily salt behind cookieless ids, shared through Redis so every server (and, for messages queued by older
// servers, every worker) derives the same id. Each day has its own key, which expires after two days: once gone,
// no one can link a visitor to an earlier day. Without Redis a process keeps a salt of its own for the day (ids
// then differ between processes) and says so.

import { createHmac, randomBytes } from "node:crypto";
import type { Redis } from "./redis.ts";
import type { Logger } from "../logger.ts";

export interface SaltSource {
  /** The salt of the UTC day `at` (ms) falls in. */
  forDay(at: number): Promise<Buffer>;
}

export function hmacHex(salt: Buffer, input: string): string {
  return createHmac("sha256", salt).update(input).digest("hex");
}

export function cookielessSalt(redis: Redis, log: Logger, onFailOpen: () => void): SaltSource {
  const salts = new Map<string, Buffer>();
  async function saltFor(day: string): Promise<Buffer> {
    const known = salts.get(day);
    if (known) return known;
    let salt: Buffer;
    try {
      const key = redis.key("cookieless-salt", day);
      await redis.client.send("SET", [key, randomBytes(32).toString("hex"), "NX", "EX", String(2 * 86_400)]);
      salt = Buffer.from((await redis.client.get(key))!, "hex");
    } catch (error) {
      onFailOpen();
      log.warn("redis unreachable: using a salt of this process for today's cookieless ids", { error });
      salt = randomBytes(32);
    }
    if (salts.size > 3) salts.delete(salts.keys().next().value!);
    salts.set(day, salt);
    return salt;
  }
  return { forDay: (at) => saltFor(new Date(at).toISOString().slice(0, 10)) };
}
