// The migration files, embedded in the binary by `bun build --compile` through these imports. A test keeps this
// list equal to the files under migrations/.

import pg0001 from "../../migrations/postgres/0001_orgs.sql" with { type: "text" };
import pg0002 from "../../migrations/postgres/0002_projects.sql" with { type: "text" };
import pg0003 from "../../migrations/postgres/0003_api_keys.sql" with { type: "text" };
import pg0004 from "../../migrations/postgres/0004_ingest_checkpoints.sql" with { type: "text" };
import pg0005 from "../../migrations/postgres/0005_profiles.sql" with { type: "text" };
import pg0006 from "../../migrations/postgres/0006_data_subject_erasure.sql" with { type: "text" };
import pg0007 from "../../migrations/postgres/0007_project_reporting_timezone.sql" with { type: "text" };
import pg0008 from "../../migrations/postgres/0008_control_plane.sql" with { type: "text" };
import pg0009 from "../../migrations/postgres/0009_oidc_identities.sql" with { type: "text" };
import pg0010 from "../../migrations/postgres/0010_events_workers.sql" with { type: "text" };
import ch0001 from "../../migrations/clickhouse/0001_events.sql" with { type: "text" };
import ch0002 from "../../migrations/clickhouse/0002_typed_properties.sql" with { type: "text" };
import ch0003 from "../../migrations/clickhouse/0003_profiles.sql" with { type: "text" };
import ch0004 from "../../migrations/clickhouse/0004_profile_activity.sql" with { type: "text" };
import ch0005 from "../../migrations/clickhouse/0005_filter_schema.sql" with { type: "text" };
import ch0006 from "../../migrations/clickhouse/0006_usage.sql" with { type: "text" };
import ch0007 from "../../migrations/clickhouse/0007_filter_schema_from_worker.sql" with { type: "text" };
import nats0001 from "../../migrations/nats/0001_streams.json" with { type: "text" };
import nats0002 from "../../migrations/nats/0002_stream_limits.json" with { type: "text" };
import nats0003 from "../../migrations/nats/0003_email_retries.json" with { type: "text" };

export const embeddedMigrations = {
  postgres: {
    "0001_orgs.sql": pg0001,
    "0002_projects.sql": pg0002,
    "0003_api_keys.sql": pg0003,
    "0004_ingest_checkpoints.sql": pg0004,
    "0005_profiles.sql": pg0005,
    "0006_data_subject_erasure.sql": pg0006,
    "0007_project_reporting_timezone.sql": pg0007,
    "0008_control_plane.sql": pg0008,
    "0009_oidc_identities.sql": pg0009,
    "0010_events_workers.sql": pg0010,
  },
  clickhouse: {
    "0001_events.sql": ch0001,
    "0002_typed_properties.sql": ch0002,
    "0003_profiles.sql": ch0003,
    "0004_profile_activity.sql": ch0004,
    "0005_filter_schema.sql": ch0005,
    "0006_usage.sql": ch0006,
    "0007_filter_schema_from_worker.sql": ch0007,
  },
  nats: {
    "0001_streams.json": nats0001,
    "0002_stream_limits.json": nats0002,
    "0003_email_retries.json": nats0003,
  },
} satisfies Record<string, Record<string, string>>;

export type Store = keyof typeof embeddedMigrations;
export const stores: Store[] = ["postgres", "clickhouse", "nats"];
