import { describe, expect, test } from "bun:test";
import { recordedPartitionCount, withEventPartitions } from "./event-partition-declarations.ts";
import { natsDeclarations } from "./nats-declarations.ts";

const files = [{
  name: "0001_streams.json",
  text: JSON.stringify({
    streams: [
      { name: "events", description: "Events", retention: "workqueue", max_bytes: 1000, dead_letter: true },
      { name: "profiles", retention: "workqueue" },
    ],
    consumers: [
      { stream: "events", durable: "events-worker", ack_wait: "60s", max_deliver: 5 },
      { stream: "profiles", durable: "profile-worker", ack_wait: "60s", max_deliver: 5 },
    ],
  }),
}];

describe("withEventPartitions", () => {
  test("partition i > 0 is a copy of events named events_p<i>, with its own consumer, sharing the size budget", () => {
    const declared = withEventPartitions(natsDeclarations(files, "acme", 1), "acme", 3);
    expect(declared.streams.map((s) => s.name)).toEqual(["acme_events", "acme_events_p1", "acme_events_p2", "acme_events_dlq", "acme_profiles"]);
    const [p0, p1] = declared.streams;
    expect(p1).toMatchObject({ subjects: ["acme.events_p1.>"], retention: "workqueue", discard: "new", max_bytes: 333, description: "Events (partition 1 of 3)" });
    expect(p0).toMatchObject({ subjects: ["acme.events.>"], max_bytes: 333, description: "Events (partition 0 of 3)" });
    expect(declared.consumers.map((c) => `${c.stream}/${c.durable_name} ${c.filter_subject}`)).toEqual([
      "acme_events/events-worker acme.events.>",
      "acme_events_p1/events-worker acme.events_p1.>",
      "acme_events_p2/events-worker acme.events_p2.>",
      "acme_profiles/profile-worker acme.profiles.>",
    ]);
  });

  test("an unlimited events stream stays unlimited in every partition; a bad count is refused", () => {
    const unlimited = [{ name: "x.json", text: '{"streams":[{"name":"events","retention":"workqueue"}]}' }];
    expect(withEventPartitions(natsDeclarations(unlimited, "p", 1), "p", 2).streams.map((s) => s.max_bytes)).toEqual([-1, -1]);
    expect(() => withEventPartitions(natsDeclarations(unlimited, "p", 1), "p", 0)).toThrow("whole number ≥ 1, got 0");
  });

  test("the count is read back from partition 0's description", () => {
    const declared = withEventPartitions(natsDeclarations(files, "acme", 1), "acme", 4);
    expect(recordedPartitionCount(declared.streams[0]!.description)).toBe(4);
    expect(recordedPartitionCount("Events accepted by the server")).toBeUndefined();
    expect(recordedPartitionCount(undefined)).toBeUndefined();
  });
});
