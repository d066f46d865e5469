// Mail the email worker has sent (email_deliveries in migrations/postgres/0008_control_plane.sql), one row per
// idempotency key: a job whose key is here is not sent again.
//
// `deliverOnce` holds a transaction-scoped advisory lock on the key from the look-up until the row is committed, so
// two workers handed the same job (or two messages with the same key) never both send: the second waits, then finds
// the row. The send happens inside that window; see `deliverOnce` for what a crash in it means.

import type postgres from "postgres";
import type { Sql } from "../infra/postgres.ts";

export interface Delivery {
  idempotencyKey: string;
  template: string;
  recipient: string;
  messageId: string | null;
}

export type DeliverOutcome = "sent" | "duplicate";

/**
 * Runs `send` unless a delivery under `idempotencyKey` is recorded, then records the one it made. If the process
 * dies (or the commit fails) after `send` returned and before the commit, the row is missing and the redelivered
 * job is sent a second time: delivery is at least once in that window, which is kept to one INSERT and a COMMIT.
 * `send` failing records nothing, so the job can be tried again.
 */
export async function deliverOnce(sql: Sql, delivery: Omit<Delivery, "messageId">, send: () => Promise<string | null>): Promise<DeliverOutcome> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`pug email ${delivery.idempotencyKey}`}))`;
    if (await isDelivered(tx, delivery.idempotencyKey)) return "duplicate";
    const messageId = await send();
    await tx`
      INSERT INTO email_deliveries (idempotency_key, template, recipient, message_id)
      VALUES (${delivery.idempotencyKey}, ${delivery.template}, ${delivery.recipient}, ${messageId})`;
    return "sent";
  });
}

export async function isDelivered(db: Sql | postgres.TransactionSql, idempotencyKey: string): Promise<boolean> {
  const rows = await db`SELECT 1 FROM email_deliveries WHERE idempotency_key = ${idempotencyKey}`;
  return rows.length > 0;
}

export async function listDeliveries(sql: Sql): Promise<Delivery[]> {
  return await sql<Delivery[]>`
    SELECT idempotency_key AS "idempotencyKey", template, recipient, message_id AS "messageId"
    FROM email_deliveries ORDER BY sent_at, idempotency_key`;
}
