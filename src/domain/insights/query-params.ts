// The parameters of one ClickHouse query. Every value a caller gave reaches ClickHouse through here, as a typed
// `{name:Type}` placeholder, never in the SQL text. The project is always `{project_id:UUID}` (the name the person
// join reads, see ../identity/person-sql.ts).

import { PERSON_PROJECT_PARAM } from "../identity/person-sql.ts";

export class QueryParams {
  readonly values: Record<string, unknown>;
  #next = 0;

  constructor(readonly projectId: string) {
    this.values = { [PERSON_PROJECT_PARAM]: projectId };
  }

  /** The project placeholder. */
  get project(): string {
    return `{${PERSON_PROJECT_PARAM}:UUID}`;
  }

  /** A new placeholder holding `value`, read by ClickHouse as `type` (e.g. `String`, `Float64`, `Array(String)`). */
  add(value: unknown, type: string): string {
    const name = `p${this.#next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}
