// Who an event belongs to, in ClickHouse queries: the person an anonymous distinct id was linked to, else the
// distinct id itself.
//
// Why a join on the (small) alias table of one project, not a person id written on each event: an identify links
// an anonymous id after its events were stored, and every past event of that id must count as the person's. A
// person id on the event would mean rewriting those events (mutations on a 10 M-row table per sign-in), or
// counting a person twice until a rewrite caught up. Why not a ClickHouse dictionary: it is refreshed on a
// timer (a just-linked id would resolve late), needs credentials to read its source table inside ClickHouse, and
// is set up differently on a cluster; a join reads the alias mirror as it is now, wherever the query runs. The
// alias side is filtered to one project and reduced to one row per alias (newest version, not deleted) before the
// join, so the hash table holds only that project's linked ids, whatever the number of events.
//
// Aliases are one hop by construction: only `anon-…` ids become aliases, always of an identified person, and an
// identified person is never merged into another; so one lookup is enough.

/** The parameter this SQL reads; bind it as a ClickHouse query parameter, never in the text. */
export const PERSON_PROJECT_PARAM = "project_id";

/** The live aliases of one project: alias_id → person (the owner's external id). */
export const LIVE_ALIASES_SQL = `SELECT alias_id, argMax(external_id, version) AS person, argMax(is_deleted, version) AS alias_deleted
FROM profile_aliases
WHERE project_id = {${PERSON_PROJECT_PARAM}:UUID}
GROUP BY alias_id
HAVING alias_deleted = 0`;

export interface PersonJoin {
  /** `LEFT JOIN (…) AS <alias> ON …`, to put after `FROM events AS <eventsAlias>`. */
  join: string;
  /** An expression for the event's person (String). */
  person: string;
}

/**
 * The join and expression resolving `<eventsAlias>.distinct_id` to its person. Default join semantics
 * (join_use_nulls = 0) give an empty `person` for an unlinked id, which then stands for itself.
 */
export function personJoin(eventsAlias = "events", aliasesAlias = "person_aliases"): PersonJoin {
  return {
    join: `LEFT JOIN (${LIVE_ALIASES_SQL}) AS ${aliasesAlias} ON ${aliasesAlias}.alias_id = ${eventsAlias}.distinct_id`,
    person: `if(ifNull(${aliasesAlias}.person, '') != '', ${aliasesAlias}.person, ${eventsAlias}.distinct_id)`,
  };
}
