// One child process of `pug dev`, seen from the parent: started as the same binary (`pug dev --child NAME`),
// its JSON log lines passed through to the parent's stdout, its other output logged, and an IPC channel to ask
// it for its metrics and to tell it to stop. The child stops by itself when the channel closes (the parent died).

import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { DevProcess } from "../domain/dev-processes.ts";
import type { Logger } from "../logger.ts";
import type { ChildMessage, ParentMessage } from "./child-messages.ts";

export interface ChildHandle {
  pid: number;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  exited: Promise<number>;
  /** True once the child said its roles started. */
  ready(): boolean;
  /** Its registry as JSON, or undefined when it did not answer within `timeoutMs` (starting, stopping, gone). */
  metrics(timeoutMs: number): Promise<MetricObjectWithValues<MetricValue<string>>[] | undefined>;
  /** Asks it to stop (stop intake, finish what it holds); SIGKILL after `graceMs`. True when it exited in time. */
  stop(graceMs: number): Promise<boolean>;
}

export interface ChildOptions {
  /** The command that runs this binary: [execPath] for the compiled binary, [bun, entry script] from source. */
  command: string[];
  envFile: string | undefined;
  /** Variables set for the child on top of this process's environment. */
  env?: Record<string, string>;
  log: Logger;
  /** Every message the child sends that is not an answer to a request (ready, listening). */
  onMessage(message: ChildMessage): void;
}

/** JavaScriptCore sizes its heap from the machine's RAM: told 192 MiB, a worker draining a backlog stays near 200 MB. */
export const WORKER_HEAP = { BUN_JSC_forceRAMSize: String(192 * 1024 * 1024) };

/** The command that runs this same program again, compiled or not. */
export function selfCommand(): string[] {
  // A compiled binary's modules live in Bun's embedded file system; from source, execPath is bun itself.
  return Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/") ? [process.execPath] : [process.execPath, Bun.main];
}

export function startChild(spec: DevProcess, options: ChildOptions): ChildHandle {
  const args = [...options.command, ...(options.envFile ? ["--env-file", options.envFile] : []), "dev", "--child", spec.name, "--roles", spec.roles.join(",")];
  let ready = false;
  let nextId = 1;
  const pending = new Map<number, (metrics: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  const proc = Bun.spawn(args, {
    // Workers get the heap sizing their systemd unit gives them (systemd/pug-worker@.service), unless set already.
    env: { ...(spec.roles.includes("server") ? {} : WORKER_HEAP), ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    ipc(message: ChildMessage) {
      if (message.type === "metrics") pending.get(message.id)?.(message.metrics);
      else {
        if (message.type === "ready") ready = true;
        options.onMessage(message);
      }
    },
  });
  const log = options.log.child({ process: spec.name, pid: proc.pid });
  const relayed = Promise.all([relayLines(proc.stdout, (line) => passThrough(line, log)), relayLines(proc.stderr, (line) => log.warn("child wrote to stderr", { line }))]);
  const exited = proc.exited.then(async (code) => {
    await Promise.race([relayed, Bun.sleep(1_000)]);
    for (const resolve of pending.values()) resolve([]);
    return proc.signalCode ? 128 + signalNumber(String(proc.signalCode)) : code;
  });
  const send = (message: ParentMessage) => {
    if (proc.exitCode !== null || proc.signalCode) return false;
    try {
      proc.send(message);
      return true;
    } catch (error) {
      // The channel closes a moment before the exit is seen: the child is going, which is all this means.
      log.debug("could not message the child", { error });
      return false;
    }
  };

  return {
    pid: proc.pid,
    exited,
    ready: () => ready,
    async metrics(timeoutMs) {
      const id = nextId++;
      const answer = new Promise<MetricObjectWithValues<MetricValue<string>>[]>((resolve) => pending.set(id, resolve));
      if (!send({ type: "metrics", id })) return (pending.delete(id), undefined);
      const result = await Promise.race([answer, Bun.sleep(timeoutMs).then(() => undefined)]);
      pending.delete(id);
      return result;
    },
    async stop(graceMs) {
      if (!send({ type: "stop" })) proc.kill("SIGTERM");
      const inTime = await Promise.race([exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
      if (!inTime) {
        log.warn("child did not stop within the grace period; killing it", { grace_ms: graceMs });
        proc.kill("SIGKILL");
      }
      await exited;
      return inTime;
    },
  };
}

/** A child's JSON log line goes out as it is; anything else (a crash dump) becomes a log line of its own. */
function passThrough(line: string, log: Logger): void {
  if (line.startsWith("{") && line.endsWith("}")) process.stdout.write(line + "\n");
  else if (line.trim()) log.info("child output", { line });
}

async function relayLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
  if (buffered) onLine(buffered);
}

const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
const signalNumber = (name: string) => signals[name] ?? 0;
