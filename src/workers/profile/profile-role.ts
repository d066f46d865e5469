// `pug worker profile`: applies identify calls to Postgres (the truth for identity) and keeps the ClickHouse
// mirror (`profiles`, `profile_aliases`) current, through the stream → table writer (src/pipeline/), and carries out
// data-subject erasures (erasure-worker.ts). The role runs a list of loops side by side; it stops (and the
// supervisor restarts it) when one of them fails.

import type { App } from "../../app/app.ts";
import type { Role } from "../../app/supervisor.ts";
import { runTableWriter } from "../../pipeline/table-writer.ts";
import { erasureTombstones } from "../../store/erasure-tombstones.ts";
import { requireConsumer } from "../idle-role.ts";
import { runErasureWorker } from "./erasure-worker.ts";
import { PROFILES_CONSUMER, PROFILES_STREAM, profileSink } from "./profile-sink.ts";

type Loop = (signal: AbortSignal) => Promise<void>;

export function profileWorkerRole(app: App): Role {
  const tombstones = erasureTombstones(app.postgres());
  const identityWriter: Loop = async (signal) => {
    await requireConsumer(app, PROFILES_STREAM, PROFILES_CONSUMER);
    app.log.info("consumer bound", { role: "profile", stream: PROFILES_STREAM, consumer: PROFILES_CONSUMER });
    await runTableWriter(app, profileSink(app, await app.nats(), tombstones), signal);
  };
  const erasures: Loop = (signal) => runErasureWorker(app, signal);
  const loops: Loop[] = [identityWriter, erasures];
  return {
    name: "profile",
    async run(signal) {
      const stopAll = new AbortController();
      const stop = () => stopAll.abort();
      signal.addEventListener("abort", stop, { once: true });
      if (signal.aborted) stop();
      try {
        // One loop failing stops the others, and the role ends only once all have: a restart must not overlap
        // loops of the previous run still finishing.
        const outcomes = await Promise.allSettled(loops.map((loop) => loop(stopAll.signal).catch((error) => {
          stop();
          throw error;
        })));
        const failed = outcomes.find((outcome) => outcome.status === "rejected");
        if (failed) throw failed.reason;
      } finally {
        signal.removeEventListener("abort", stop);
      }
    },
  };
}
