// What `pug dev` and its child processes say to each other over the IPC channel.

import type { MetricObjectWithValues, MetricValue } from "prom-client";

export type ChildMessage =
  /** Its roles started (sent once per process). */
  | { type: "ready" }
  /** A server role bound its listener. */
  | { type: "listening"; url: string }
  /** The answer to a metrics request. */
  | { type: "metrics"; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] };

export type ParentMessage = { type: "metrics"; id: number } | { type: "stop" };
