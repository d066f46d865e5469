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
      salt = await ensureSalt(redis, day);
    } catch (error) {
      onFailOpen();
      log.warn("redis unreachable: using a salt of this process for today's cookieless ids", { error });
      salt = randomBytes(32);
    }
    if (salts.size > 3) salts.delete(salts.keys().next().value!);
    salts.set(day, salt);
    return salt;
  }
  return { forDay: (at) => saltFor(utcDay(at)) };
}

/** `YYYY-MM-DD` of the UTC day `at` (ms) falls in: a salt's name. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

const SALT_PREFIX = "cookieless-salt";

export const saltKey = (redis: Redis, day: string): string => redis.key(SALT_PREFIX, day);

/** The day's salt, created if no one has yet (SET NX: the first writer's salt is everyone's). */
export async function ensureSalt(redis: Redis, day: string): Promise<Buffer> {
  const key = saltKey(redis, day);
  await redis.client.send("SET", [key, randomBytes(32).toString("hex"), "NX", "EX", String(2 * 86_400)]);
  return Buffer.from((await redis.client.get(key))!, "hex");
}

/** The days that have a salt in Redis. */
export async function saltDays(redis: Redis): Promise<string[]> {
  const pattern = saltKey(redis, "*");
  const days: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = (await redis.client.send("SCAN", [cursor, "MATCH", pattern, "COUNT", "100"])) as [string, string[]];
    cursor = next;
    for (const key of keys) days.push(key.slice(pattern.length - 1));
  } while (cursor !== "0");
  return days.sort();
}

export async function deleteSalt(redis: Redis, day: string): Promise<void> {
  await redis.client.del(saltKey(redis, day));
}
