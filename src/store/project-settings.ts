// Settings of a project the read APIs need on every call, cached briefly: a changed time zone shows within a minute.

import type { Sql } from "../infra/postgres.ts";

const TTL_MS = 60_000;

export interface ProjectSettings {
  reportingTimezone: string;
}

export class ProjectSettingsCache {
  readonly #cache = new Map<string, { settings: ProjectSettings; until: number }>();

  constructor(private readonly sql: Sql) {}

  async of(projectId: string): Promise<ProjectSettings> {
    const cached = this.#cache.get(projectId);
    if (cached && cached.until > Date.now()) return cached.settings;
    const [row] = await this.sql<{ reporting_timezone: string }[]>`SELECT reporting_timezone FROM projects WHERE id = ${projectId}`;
    // The caller's key was just checked against this project; it cannot be missing unless deleted meanwhile.
    if (!row) throw new Error(`project ${projectId} not found`);
    const settings = { reportingTimezone: row.reporting_timezone };
    this.#cache.set(projectId, { settings, until: Date.now() + TTL_MS });
    return settings;
  }

  /** Drops what is cached of the project, after a change this process made (others see it within the TTL). */
  forget(projectId: string): void {
    this.#cache.delete(projectId);
  }
}
