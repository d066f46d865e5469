// `pug dev`'s /metrics with child processes: the parent's own registry plus every child's, read over IPC.
// Counters and histograms are summed over the processes (a rate or a total means the same as with one process,
// and two servers' requests add up); gauges get a `process` label, since a level of one process (a role up, the
// bytes a writer holds, the keys a server caches) does not add up with another's.

import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { App } from "./app.ts";
import type { ChildHandle } from "./child-process.ts";

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export async function childrenMetricsText(app: App, children: Map<string, ChildHandle>, timeoutMs = 1_000): Promise<{ text: string; contentType: string }> {
  const answers = await Promise.all([...children].map(async ([name, child]) => labelGauges((await child.metrics(timeoutMs)) ?? [], name)));
  const merged = AggregatorRegistry.aggregate([await app.metrics.registry.getMetricsAsJSON(), ...answers]);
  return { text: await merged.metrics(), contentType: merged.contentType };
}

function labelGauges(metrics: MetricsJson, processName: string): MetricsJson {
  return metrics.map((metric) =>
    String(metric.type) === "gauge" ? { ...metric, values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, process: processName } })) } : metric,
  ) as MetricsJson;
}
