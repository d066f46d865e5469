// Removes a benchmark's Redis keys (query cache, sign-in limits, …): every key under its PUG_REDIS_PREFIX.

import { RedisClient } from "bun";

/** Deletes every key `<prefix>:…`; resolves with how many there were. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<number> {
  const client = new RedisClient(url);
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", `${prefix}:*`, "COUNT", "1000"])) as [string, string[]];
      if (keys.length > 0) deleted += Number(await client.send("DEL", keys));
      cursor = next;
    } while (cursor !== "0");
  } finally {
    client.close();
  }
  return deleted;
}
