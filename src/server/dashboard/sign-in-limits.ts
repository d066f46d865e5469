// Limits on sign-in attempts, per address and per client network, in fixed 15-minute windows in Redis shared by
// every server process. Counting is one script per attempt (check and add in one round trip), so parallel
// attempts cannot all slip in under a limit. Without Redis they let attempts through (fail open, logged and
// counted), as the SDK's limits do: the links still expire and passwords are still hashed slowly, a few at a time.

import type { Metrics } from "../../app/metrics.ts";
import { clientNetwork } from "../../domain/auth/client-network.ts";
import type { Redis } from "../../infra/redis.ts";
import type { Logger } from "../../logger.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export const WINDOW_SECONDS = 15 * 60;
export const MAGIC_LINKS_PER_EMAIL = 5;
export const MAGIC_LINKS_PER_IP = 20;
/** Password checks that failed (or are under way) per address; a successful sign-in gives its own back. */
export const FAILED_PASSWORDS_PER_EMAIL = 10;
/** The same per client network, across addresses. */
export const FAILED_PASSWORDS_PER_IP = 50;

/** KEYS windows, ARGV[1] seconds to live, ARGV[1 + i] limit of KEYS[i]: the index of the first full window, else 0 after counting one in each. */
const ADMIT_SCRIPT = `
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then return i end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 0`;

/** KEYS windows: takes one back from each that still counts any. */
const GIVE_BACK_SCRIPT = "for _, key in ipairs(KEYS) do if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end end return 0";

export interface Bucket {
  name: string;
  limit: number;
  /** The refusal's words once the bucket is full. */
  tooMany: string;
}

/** An attempt counted in its buckets; `giveBack` uncounts it (it succeeded, or nothing was checked). */
export interface Admission {
  giveBack(): Promise<void>;
}

export interface SignInLimits {
  /** Counts one attempt; the resource_exhausted refusal (saying `tooMany`, counting nothing) once `limit` is reached in this window. */
  take(bucket: string, limit: number, tooMany: string): Promise<void>;
  /** Counts one attempt in every bucket if all have room, else refuses for the first that is full and counts none. */
  admit(buckets: Bucket[]): Promise<Admission>;
  /** The bucket of the client's network (see clientNetwork) for `purpose`. */
  ipBucket(purpose: string, ip: string): string;
}

/** A bucket name that keeps addresses out of Redis keys. */
export function emailBucket(purpose: string, email: string): string {
  return `${purpose}:email:${new Bun.CryptoHasher("sha256").update(email).digest("hex").slice(0, 32)}`;
}

export function signInLimits(redis: Redis, metrics: Metrics, log: Logger): SignInLimits {
  let lastWarning = 0;
  let toldNoIp = false;
  const window = () => {
    const now = Date.now() / 1000;
    const index = Math.floor(now / WINDOW_SECONDS);
    return { index: String(index), retryAfter: Math.ceil((index + 1) * WINDOW_SECONDS - now) };
  };
  const keyOf = (bucket: string, index: string) => redis.key("signin-limit", bucket, index);
  const failOpen = (error: unknown) => {
    metrics.redisFailOpen.inc({ purpose: "rate_limit" });
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      log.warn("redis unreachable: sign-in limits are not enforced until it is back", { error });
    }
    return 0;
  };
  const run = async (script: string, keys: string[], args: string[]): Promise<number> => {
    try {
      return Number(await redis.client.send("EVAL", [script, String(keys.length), ...keys, ...args]));
    } catch (error) {
      return failOpen(error);
    }
  };
  const refusal = (tooMany: string) => {
    const { retryAfter } = window();
    const minutes = Math.ceil(retryAfter / 60);
    return new ConnectError(`${tooMany}; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`, Code.ResourceExhausted, { "retry-after": String(retryAfter) });
  };
  const ttl = String(WINDOW_SECONDS + 5);
  const admit = async (buckets: Bucket[]): Promise<Admission> => {
    const { index } = window();
    const keys = buckets.map((bucket) => keyOf(bucket.name, index));
    const full = await run(ADMIT_SCRIPT, keys, [ttl, ...buckets.map((bucket) => String(bucket.limit))]);
    if (full > 0) throw refusal(buckets[full - 1]!.tooMany);
    return {
      async giveBack() {
        await run(GIVE_BACK_SCRIPT, keys, []);
      },
    };
  };
  return {
    async take(name, limit, tooMany) {
      await admit([{ name, limit, tooMany }]);
    },
    admit,
    ipBucket(purpose, ip) {
      const network = clientNetwork(ip);
      if (network === undefined && !toldNoIp) {
        toldNoIp = true;
        log.warn("a sign-in came without a usable client IP: such requests share one per-IP limit bucket ('unknown')", { ip });
      }
      return `${purpose}:ip:${network ?? "unknown"}`;
    },
  };
}
