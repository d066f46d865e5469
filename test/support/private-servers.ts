// Private NATS and Redis servers on spare ports, for tests that need a server configured differently from the
// shared one (credentials, JetStream off, a cluster) or one they may stop. Never the shared servers.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { diesWithTestRun } from "./dies-with-test-run.ts";
import { freePort, waitFor } from "./ports.ts";

export interface PrivateServer {
  port: number;
  url: string;
  /** Stops the server for good and removes its data. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data, so `resume` brings it back as it was. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

async function launch(command: string[], port: number, url: string, dir: string): Promise<PrivateServer> {
  const spawn = async () => {
    const proc = Bun.spawn([...diesWithTestRun, ...command], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    await waitFor(`${command[0]} on port ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`${command[0]} exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return true;
    });
    return proc;
  };
  let proc = await spawn();
  const halt = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
  };
  return {
    port,
    url,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: halt,
    async resume() {
      proc = await spawn();
    },
  };
}

export async function startNats(options: { jetstream?: boolean; user?: string; password?: string } = {}): Promise<PrivateServer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "pug-nats-"));
  const args = ["nats-server", "-a", "127.0.0.1", "-p", String(port)];
  if (options.jetstream !== false) args.push("-js", "-sd", dir);
  if (options.user) args.push("--user", options.user, "--pass", options.password ?? "");
  return launch(args, port, `nats://127.0.0.1:${port}`, dir);
}

export async function startRedis(options: { password?: string } = {}): Promise<PrivateServer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "pug-redis-"));
  const args = ["redis-server", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir];
  if (options.password) args.push("--requirepass", options.password);
  return launch(args, port, `redis://127.0.0.1:${port}`, dir);
}


export interface NatsClusterNode {
  /** 0-based position in `cluster.nodes`; also the server name's suffix (`n0`, `n1`, …). */
  index: number;
  /** The server name JetStream reports (stream leaders, replicas). */
  name: string;
  port: number;
  url: string;
  running: boolean;
  /** Stopped with SIGSTOP by `freeze`: its sockets stay open but it answers nothing (missed heartbeats). */
  frozen: boolean;
}

export interface NatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated: a NATS_URL. */
  url: string;
  /** Kills one node's process (SIGKILL unless told otherwise) and waits until it has exited. */
  kill(node: number | string, signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the node hangs without closing its connections, as a stalled or partitioned server does. */
  freeze(node: number | string): void;
  /** SIGCONT after `freeze`. */
  thaw(node: number | string): void;
  /** Starts a killed node again on the same ports and store, and waits until it serves JetStream. */
  restart(node: number | string): Promise<void>;
  /** The node that leads `stream` (its full name, prefix included) right now. */
  streamLeader(stream: string): Promise<NatsClusterNode>;
  /** The node whose client port `server` ("127.0.0.1:port" or a URL) is. */
  nodeAt(server: string): NatsClusterNode;
  /** Waits until each of `streams` (full names) has a leader and every replica is current, e.g. after `restart`. */
  waitForStreamsCurrent(streams: string[], timeoutMs?: number): Promise<void>;
  /** Waits until the running nodes have a JetStream meta leader and each answers `$JS.API.INFO`. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `size` nats-server processes with JetStream, routed into one cluster on loopback spare ports, each with its own
 * store directory. Resolves once JetStream is ready (a meta leader elected).
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "pug-nats-cluster-"));
  const ports = Array.from({ length: size }, () => ({ client: freePort(), route: freePort() }));
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
  const nodes: NatsClusterNode[] = ports.map((p, index) => ({ index, name: `n${index}`, port: p.client, url: `nats://127.0.0.1:${p.client}`, running: false, frozen: false }));
  const configs = nodes.map((node, index) => {
    const file = join(dir, `${node.name}.conf`);
    writeFileSync(file, [
      `server_name: ${node.name}`,
      `listen: 127.0.0.1:${node.port}`,
      `jetstream { store_dir: "${join(dir, node.name)}" }`,
      `cluster { name: pug_test, listen: 127.0.0.1:${ports[index]!.route}, routes: [${routes.filter((_, i) => i !== index).join(", ")}] }`,
    ].join("\n") + "\n");
    return file;
  });
  const procs: (Bun.Subprocess | undefined)[] = [];
  const spawn = (node: NatsClusterNode) => {
    procs[node.index] = Bun.spawn([...diesWithTestRun, "nats-server", "-c", configs[node.index]!], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    node.running = true;
  };
  const find = (node: number | string) => {
    const found = typeof node === "number" ? nodes[node] : nodes.find((n) => n.name === node);
    if (!found) throw new Error(`no cluster node ${node}`);
    return found;
  };
  const jetstreamAnswers = async (node: NatsClusterNode) => {
    const connection = await connect({ servers: node.url, reconnect: false, timeout: 1_000 });
    try {
      await (await jetstreamManager(connection, { timeout: 1_000 })).getAccountInfo();
      return true;
    } finally {
      await connection.close();
    }
  };
  const waitUntilReady = async (timeoutMs = 30_000) => {
    for (const node of nodes.filter((n) => n.running && !n.frozen)) {
      await waitFor(`JetStream on cluster node ${node.name}`, () => {
        if (procs[node.index]?.exitCode !== null) throw new Error(`nats-server ${node.name} exited`);
        return jetstreamAnswers(node);
      }, timeoutMs);
    }
  };

  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    async kill(node, signal = "SIGKILL") {
      const target = find(node);
      const proc = procs[target.index];
      if (!proc || !target.running) throw new Error(`cluster node ${target.name} is not running`);
      proc.kill(signal);
      await proc.exited;
      target.running = false;
      target.frozen = false;
    },
    freeze(node) {
      const target = find(node);
      if (!target.running) throw new Error(`cluster node ${target.name} is not running`);
      procs[target.index]!.kill("SIGSTOP");
      target.frozen = true;
    },
    thaw(node) {
      const target = find(node);
      procs[target.index]!.kill("SIGCONT");
      target.frozen = false;
    },
    async restart(node) {
      const target = find(node);
      if (target.running) throw new Error(`cluster node ${target.name} is still running`);
      spawn(target);
      await waitFor(`JetStream on restarted cluster node ${target.name}`, () => jetstreamAnswers(target), 30_000);
    },
    async streamLeader(stream) {
      const connection = await connect({ servers: nodes.filter((n) => n.running && !n.frozen).map((n) => n.url), reconnect: false, timeout: 2_000 });
      try {
        const info = await (await jetstreamManager(connection, { timeout: 2_000 })).streams.info(stream);
        const leader = info.cluster?.leader;
        if (!leader) throw new Error(`stream ${stream} has no leader right now`);
        return find(leader);
      } finally {
        await connection.close();
      }
    },
    nodeAt(server) {
      const port = Number(/:(\d+)\/?$/.exec(server)?.[1]);
      const found = nodes.find((n) => n.port === port);
      if (!found) throw new Error(`no cluster node listens at ${server}`);
      return found;
    },
    waitUntilReady,
    async waitForStreamsCurrent(streams, timeoutMs = 30_000) {
      const connection = await connect({ servers: nodes.filter((n) => n.running && !n.frozen).map((n) => n.url), timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(connection, { timeout: 2_000 });
        for (const stream of streams) {
          await waitFor(`every replica of ${stream} to be current`, async () => {
            const { cluster: info } = await jsm.streams.info(stream);
            return Boolean(info?.leader) && (info?.replicas ?? []).every((peer) => peer.current);
          }, timeoutMs);
        }
      } finally {
        await connection.close();
      }
    },
    async stop() {
      await Promise.all(procs.map(async (proc, index) => {
        if (proc && nodes[index]!.running) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
        nodes[index]!.running = false;
      }));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  /**
   * Every node answering JetStream is not yet a cluster that places a stream on all of them: the meta leader may not
   * know every peer yet ("no suitable peers for placement"). Ready once a stream of `size` replicas can be made.
   */
  const waitUntilPlaceable = async () => {
    const connection = await connect({ servers: nodes.map((n) => n.url), timeout: 2_000 });
    try {
      const jsm = await jetstreamManager(connection, { timeout: 2_000 });
      await waitFor(`a stream placed on all ${size} cluster nodes`, async () => {
        try {
          await jsm.streams.add({ name: "placement_probe", subjects: ["placement.probe"], num_replicas: size });
        } catch (error) {
          if (/no suitable peers|insufficient resources|timeout/i.test((error as Error).message)) return false;
          throw error;
        }
        await jsm.streams.delete("placement_probe");
        return true;
      }, 30_000);
    } finally {
      await connection.close();
    }
  };
  for (const node of nodes) spawn(node);
  try {
    await waitUntilReady();
    await waitUntilPlaceable();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
