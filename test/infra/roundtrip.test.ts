// One round trip through each client module the product uses, against the shared servers, inside this run's
// own database, stream prefix and key prefix.

import { afterAll, describe, expect, test } from "bun:test";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createRedis } from "../../src/infra/redis.ts";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();

describe("infra round trips", () => {
  const sql = createPostgres({ url: env.databaseUrl, maxConnections: 2 });
  const redis = createRedis({ url: env.redisUrl, prefix: env.redisPrefix });
  let nats: Nats | undefined;
  afterAll(async () => {
    await sql.end();
    redis.close();
    await nats?.close();
  });

  test("Postgres: a row written in this run's own database reads back", async () => {
    const [row] = await sql<{ db: string }[]>`SELECT current_database() AS db`;
    expect(row?.db).toBe(`pug_test_${env.runId}`);
    await sql`CREATE TABLE roundtrip (id bigint PRIMARY KEY, payload jsonb NOT NULL)`;
    await sql`INSERT INTO roundtrip ${sql({ id: 1, payload: sql.json({ ok: true, n: 2 }) })}`;
    const rows = await sql<{ id: string; payload: { ok: boolean; n: number } }[]>`SELECT id, payload FROM roundtrip`;
    expect(rows.map((r) => ({ ...r }))).toEqual([{ id: "1", payload: { ok: true, n: 2 } }]);
  });

  test("Redis: keys carry the run's prefix, and values and expiries round-trip", async () => {
    await redis.connect();
    const key = redis.key("roundtrip", "a");
    expect(key).toBe(`${env.redisPrefix}:roundtrip:a`);
    await redis.client.set(key, "value-1");
    await redis.client.expire(key, 60);
    expect(await redis.client.get(key)).toBe("value-1");
    expect(await redis.client.incr(redis.key("roundtrip", "counter"))).toBe(1);
    const ttl = await redis.client.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  test("NATS JetStream: a published message is stored once per message id and consumed back", async () => {
    nats = await connectNats({ url: env.natsUrl, prefix: env.natsPrefix });
    const stream = nats.names.stream("roundtrip");
    const subject = nats.names.subject("roundtrip", "in");
    expect(stream).toBe(`${env.natsPrefix}_roundtrip`);
    await nats.jsm.streams.add({ name: stream, subjects: [nats.names.subject("roundtrip", ">")], duplicate_window: 60_000_000_000 });

    const first = await nats.js.publish(subject, "hello", { msgID: "m-1" });
    const again = await nats.js.publish(subject, "hello", { msgID: "m-1" });
    expect([first.duplicate, again.duplicate, again.seq]).toEqual([false, true, first.seq]);
    expect((await nats.jsm.streams.info(stream)).state.messages).toBe(1);

    await nats.jsm.consumers.add(stream, { durable_name: "reader", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const consumer = await nats.js.consumers.get(stream, "reader");
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.string()).toBe("hello");
    expect(message?.subject).toBe(subject);
    await message?.ackAck();
    expect((await consumer.info()).num_ack_pending).toBe(0);
  });
});
