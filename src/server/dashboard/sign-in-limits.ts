// Limits on sign-in attempts, per address and per client IP, in fixed 15-minute windows in Redis shared by every
// server process. Without Redis they let attempts through (fail open, logged and counted), as the SDK's limits do:
// the links still expire and passwords are still hashed slowly.

import type { Metrics } from "../../app/metrics.ts";
import type { Redis } from "../../infra/redis.ts";
import type { Logger } from "../../logger.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export const WINDOW_SECONDS = 15 * 60;
export const MAGIC_LINKS_PER_EMAIL = 5;
export const MAGIC_LINKS_PER_IP = 20;
export const FAILED_PASSWORDS_PER_EMAIL = 10;

/** KEYS[1] window, ARGV[1] seconds to live: counts one and, for a new window, sets its expiry atomically. */
const HIT_SCRIPT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n";

export interface SignInLimits {
  /** Counts one attempt; the resource_exhausted refusal (saying `tooMany`) once `limit` is passed in this window. */
  take(bucket: string, limit: number, tooMany: string): Promise<void>;
  /** Refuses (saying `tooMany`) when `bucket` already holds `limit` attempts in this window, without counting. */
  demandRoom(bucket: string, limit: number, tooMany: string): Promise<void>;
  /** Counts one attempt. */
  hit(bucket: string): Promise<void>;
}

/** A bucket name that keeps addresses out of Redis keys. */
export function emailBucket(purpose: string, email: string): string {
  return `${purpose}:email:${new Bun.CryptoHasher("sha256").update(email).digest("hex").slice(0, 32)}`;
}

export function signInLimits(redis: Redis, metrics: Metrics, log: Logger): SignInLimits {
  let lastWarning = 0;
  const window = () => {
    const now = Date.now() / 1000;
    const index = Math.floor(now / WINDOW_SECONDS);
    return { index: String(index), retryAfter: Math.ceil((index + 1) * WINDOW_SECONDS - now) };
  };
  const failOpen = (error: unknown) => {
    metrics.redisFailOpen.inc({ purpose: "rate_limit" });
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      log.warn("redis unreachable: sign-in limits are not enforced until it is back", { error });
    }
    return 0;
  };
  const count = async (bucket: string, add: boolean) => {
    const { index } = window();
    const key = redis.key("signin-limit", bucket, index);
    try {
      return Number(add ? await redis.client.send("EVAL", [HIT_SCRIPT, "1", key, String(WINDOW_SECONDS + 5)]) : ((await redis.client.get(key)) ?? 0));
    } catch (error) {
      return failOpen(error);
    }
  };
  const refusal = (tooMany: string) => {
    const { retryAfter } = window();
    const minutes = Math.ceil(retryAfter / 60);
    return new ConnectError(`${tooMany}; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`, Code.ResourceExhausted, { "retry-after": String(retryAfter) });
  };
  return {
    async take(bucket, limit, tooMany) {
      if ((await count(bucket, true)) > limit) throw refusal(tooMany);
    },
    async demandRoom(bucket, limit, tooMany) {
      if ((await count(bucket, false)) >= limit) throw refusal(tooMany);
    },
    async hit(bucket) {
      await count(bucket, true);
    },
  };
}
