-- The `pug worker events` instances that are alive, so that each can take its fair share of the events
-- partitions: ceil(partitions / live instances). Each instance beats about every second; one not heard from for a
-- few seconds counts as gone. Which partitions an instance writes is decided by the advisory locks it holds (one
-- per partition, ended with its connection when it dies); `partitions` only shows an operator who writes what.
CREATE TABLE events_workers (
    id           uuid PRIMARY KEY,
    host         text NOT NULL,
    pid          integer NOT NULL,
    partitions   integer[] NOT NULL DEFAULT '{}',
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
