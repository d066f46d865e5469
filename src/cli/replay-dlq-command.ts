// `pug <stream> replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION]`, for each stream with a dead-letter
// twin worth replaying (email, events): needs only NATS.

import { nanos } from "../domain/migrations/nats-declarations.ts";
import type { Nats } from "../infra/nats.ts";
import type { Replay, ReplayOptions } from "../pipeline/dead-letter-replay.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export interface ReplayDlqSpec {
  /** The stream's bare name: the command is `<stream> replay-dlq`, its DLQ `<stream>_dlq`. */
  stream: string;
  /** What is replayed, for the summary: "mail job", "events message". */
  noun: string;
  /** Where the letters go back to, for the summary. */
  onto: string;
  summary: string;
  reasons: readonly string[];
  defaultReasons: readonly string[];
  defaultSince: string;
  replay(nats: Nats, options: ReplayOptions): Promise<Replay>;
}

export function replayDlqCommand(spec: ReplayDlqSpec): Command {
  const dlq = `${spec.stream}_dlq`;
  return {
    name: `${spec.stream} replay-dlq`,
    summary: spec.summary,
    usage: `pug ${spec.stream} replay-dlq [--dry-run] [--reason R[,R…]] [--since DURATION] [--env-file FILE]  (reasons: ${spec.reasons.join(", ")}; default ${spec.defaultReasons.join(",")}, since ${spec.defaultSince})`,
    async run(args, globals) {
      const { values } = parseFlags(args, { "dry-run": { type: "boolean" }, reason: { type: "string" }, since: { type: "string" } });
      const dryRun = values["dry-run"] === true;
      const reasons = values.reason === undefined ? spec.defaultReasons : reasonsOf(values.reason, spec.reasons);
      const sinceText = values.since ?? spec.defaultSince;
      const since = new Date(Date.now() - durationMs(sinceText));
      const app = appFor(globals, "cli");
      try {
        const { replayed, left } = await spec.replay(await app.nats(), { dryRun, reasons, since });
        for (const letter of replayed) globals.out(`  #${letter.seq}  ${letter.reason}  failed at ${letter.failedAt}: ${letter.detail}`);
        globals.out(`${dryRun ? "would replay" : "replayed"} ${plural(replayed.length, spec.noun)} from ${dlq} onto ${spec.onto}`);
        if (left.otherReason + left.older > 0) {
          const why = [left.otherReason > 0 && `${left.otherReason} dead-lettered for another reason than ${reasons.join(", ")}`, left.older > 0 && `${left.older} dead-lettered over ${sinceText} ago`];
          globals.out(`left ${plural(left.otherReason + left.older, "dead letter")} in ${dlq}: ${why.filter(Boolean).join("; ")} (see --reason, --since)`);
        }
        return 0;
      } catch (error) {
        throw new ExitError(1, `pug: could not replay ${dlq}: ${(error as Error).message}`);
      } finally {
        await closeReporting(app, "store", globals);
      }
    },
  };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function reasonsOf(text: string, known: readonly string[]): string[] {
  const reasons = text.split(",").map((r) => r.trim());
  for (const reason of reasons) {
    if (!known.includes(reason)) throw new UsageError(`--reason: unknown reason '${reason}' (reasons: ${known.join(", ")})`);
  }
  return reasons;
}

function durationMs(text: string): number {
  if (!/^\d+(s|m|h|d)$/.test(text)) throw new UsageError(`--since: '${text}' is not a duration like 30m, 24h or 7d`);
  return nanos(text) / 1e6;
}
