// ClickHouse HTTP sessions (`session_id`): a connection that keeps its `SET`s, `USE` and temporary tables
// between requests until it has been idle for `session_timeout` seconds.

import type { Session } from "chdb";
import { errors } from "./errors.ts";

interface Entry {
  conn: Session;
  timeoutMs: number;
  lastUsed: number;
  inUse: number;
}

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: Timer;

  constructor(
    private readonly connect: () => Session,
    private readonly defaultTimeoutSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.expire(), 5_000);
    this.timer.unref();
  }

  /** The session's connection, created on first use unless `check` demands that it exists already. */
  acquire(id: string, check: boolean, timeoutSeconds: number | undefined): Session {
    this.expire();
    let entry = this.entries.get(id);
    if (!entry) {
      if (check) throw errors.sessionNotFound(id);
      entry = { conn: this.connect(), timeoutMs: 0, lastUsed: 0, inUse: 0 };
      this.entries.set(id, entry);
    }
    entry.timeoutMs = (timeoutSeconds ?? this.defaultTimeoutSeconds) * 1000;
    entry.lastUsed = this.now();
    entry.inUse++;
    return entry.conn;
  }

  /** Marks the end of a request: the idle clock starts again from here. */
  release(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.inUse--;
    entry.lastUsed = this.now();
  }

  get size(): number {
    return this.entries.size;
  }

  expire(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.inUse === 0 && now - entry.lastUsed > entry.timeoutMs) {
        this.entries.delete(id);
        entry.conn.close();
      }
    }
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const entry of this.entries.values()) entry.conn.close();
    this.entries.clear();
  }
}
