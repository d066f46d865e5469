// Transaction locks named by what callers send (an email address, an identify call's ids). They live in the
// two-integer advisory-lock keyspace, apart from the one-bigint keyspace of Pug's own long-held locks (writer
// leadership, migrations, scheduler jobs, erasure). A name sent from outside can then never hash onto one of those
// and wait behind it for ever; two sent names share a lock only on a 64-bit hash collision.

import type { TransactionSql } from "postgres";

/** Waits for, then holds until the transaction ends, the lock `name` stands for. */
export async function lockInputName(tx: TransactionSql, name: string): Promise<void> {
  await tx`
    SELECT pg_advisory_xact_lock((h >> 32)::int4, ((h & 4294967295) - 2147483648)::int4)
    FROM (SELECT hashtextextended(${name}, 0) AS h) AS hashed`;
}
