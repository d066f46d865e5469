// What a job working project by project does with a project that fails: logs it (project and error), notes it,
// and goes on with the next, so one bad project cannot stop every run. The run then fails, listing the projects.

import type { App } from "../../../app/app.ts";

export class ProjectFailures {
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly app: App,
    private readonly job: string,
  ) {}

  add(projectId: string, error: unknown): void {
    this.app.log.error("project failed; going on with the next", { role: "scheduler", job: this.job, project_id: projectId, error });
    if (!this.failed.has(projectId)) this.failed.set(projectId, (error as Error)?.message ?? String(error));
  }

  has(projectId: string): boolean {
    return this.failed.has(projectId);
  }

  /** `done` when no project failed; otherwise throws it with the count and list of failed projects. */
  settle(done: string): string {
    if (this.failed.size === 0) return done;
    const list = [...this.failed].map(([projectId, reason]) => `${projectId} (${reason})`).join("; ");
    throw new Error(`${done}; failed for ${this.failed.size} project(s): ${list}`);
  }
}
