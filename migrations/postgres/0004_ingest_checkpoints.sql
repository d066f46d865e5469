-- Where the events worker is in its JetStream stream. Before writing a range of messages to ClickHouse it
-- records the range as planned; after ClickHouse confirmed, it records it as committed. A worker that crashed
-- in between finds the planned range here and writes exactly that range again under the same deduplication
-- token, so ClickHouse drops it if the first write had landed: no event is lost or stored twice.
CREATE TABLE ingest_checkpoints (
    consumer      text PRIMARY KEY,
    committed_seq bigint NOT NULL DEFAULT 0,
    planned_first bigint NOT NULL DEFAULT 0,
    planned_last  bigint NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
