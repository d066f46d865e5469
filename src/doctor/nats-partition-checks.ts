// The events partitions as NATS holds them: how many, and none missing in 0…n-1 (a hole would leave the people
// routed to it with nowhere to go). Their consumers are checked with every other declared consumer.

import type { JetStreamManager } from "@nats-io/jetstream";
import { PartitionGap } from "../domain/ingest/partition-count.ts";
import { partitionStream } from "../domain/ingest/event-partitions.ts";
import { discoverEventPartitions } from "../infra/event-partition-streams.ts";
import { natsNames } from "../infra/nats.ts";
import { fixedPartitionCount } from "../migrate/event-partition-count.ts";
import { type CheckResult, errorText, fail, ok, warn } from "./check.ts";
import { JETSTREAM_SILENT_FIX } from "./nats-stream-checks.ts";

const NAME = "nats events partitions";
const MAKE_MISSING = "run `pug nats migrate` to make the missing partition streams again";

/** The check, and the count to declare the partitions' consumers with (undefined when it is not known). */
export async function partitionCheck(jsm: JetStreamManager, prefix: string, configured: number | undefined): Promise<{ check: CheckResult; count: number | undefined }> {
  try {
    const nats = { jsm, names: natsNames(prefix) };
    const count = await discoverEventPartitions(nats);
    const last = count > 1 ? ` … ${partitionStream(count - 1)}` : "";
    const found = `${count} partition${count === 1 ? "" : "s"}: events${last}`;
    const fixed = await fixedPartitionCount(nats);
    // The last partition streams missing leave no gap, but the people routed to them would go to others.
    if (fixed !== undefined && count < fixed) return { check: fail(NAME, `${found}, but ${fixed} were made when NATS was first migrated`, MAKE_MISSING), count };
    // Unset, the count is the one the first migrate made (one, unless it was set then).
    if (configured === undefined || count === configured) return { check: ok(NAME, found), count };
    // An installation from before partitions has the events stream alone, and its next migrate splits it.
    if (fixed === undefined) return { check: warn(NAME, `${found}, from before partitions; PUG_EVENTS_PARTITIONS is ${configured}`, `run \`pug nats migrate\` to make the other ${configured - 1}`), count };
    // Fixed when NATS was first migrated: a migrate with another count is refused.
    return { check: fail(NAME, `${found}, but PUG_EVENTS_PARTITIONS is ${configured}`, `set PUG_EVENTS_PARTITIONS=${count}: the count was fixed when NATS was first migrated`), count };
  } catch (error) {
    if (error instanceof PartitionGap) return { check: fail(NAME, error.message, MAKE_MISSING), count: undefined };
    if (/run `pug nats migrate`/.test(errorText(error))) return { check: fail(NAME, errorText(error), "run `pug nats migrate`"), count: undefined };
    return { check: fail(NAME, `could not list the streams: ${errorText(error)}`, JETSTREAM_SILENT_FIX), count: undefined };
  }
}
