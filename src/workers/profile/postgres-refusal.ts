// Postgres errors that say a message can never be applied, as dead-letter reasons. Everything else (a lost
// connection, a deadlock, a serialization failure, a timeout) may pass, and the message is converted again.

import postgres from "postgres";

export type Refusal = { reason: "unknown_project" | "unstorable"; detail: string };

/** SQLSTATEs of data Postgres refuses as such: bad text or JSON, a value too long or too large, a check failed. */
const UNSTORABLE = new Set(["22P05", "22021", "22P02", "22001", "54000", "23514", "22003"]);

export function postgresRefusal(error: unknown): Refusal | undefined {
  if (!(error instanceof postgres.PostgresError)) return undefined;
  const detail = `${error.code}: ${error.message}`;
  // Only the project's key: any other reference (a profile deleted meanwhile) may resolve on a retry.
  if (error.code === "23503" && error.constraint_name?.endsWith("project_id_fkey")) return { reason: "unknown_project", detail };
  if (UNSTORABLE.has(error.code)) return { reason: "unstorable", detail };
  return undefined;
}
