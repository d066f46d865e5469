import { describe, expect, test } from "bun:test";
import { mergeNativeBlocks } from "../sql/native-block-merge.ts";
import { encodeFilterSchemaRows } from "./filter-schema-native.ts";

const project = "0b5d6c1e-8f0a-4c55-9a11-2f7d3e4b5a61";

describe("encodeFilterSchemaRows", () => {
  test("one Native block per table with rows, each a block the writer's check can walk", () => {
    const tables = encodeFilterSchemaRows({
      eventNames: [{ project_id: project, kind: "page_view", count: 3, last_seen: 1_700_000_000_123 }],
      propertyKeys: [],
      propertyValues: [
        { project_id: project, source: 1, key: "$url", kind: "page_view", value: "https://a.example/", count: 2, last_seen: 1_700_000_000_100 },
        { project_id: project, source: 2, key: "plan", kind: "page_view", value: "pro", count: 1, last_seen: 1_700_000_000_000 },
      ],
    });
    expect(tables.map(({ table, format, columns, rows }) => ({ table, format, columns, rows }))).toEqual([
      { table: "event_names", format: "Native", columns: ["project_id", "kind", "count", "last_seen"], rows: 1 },
      { table: "property_values", format: "Native", columns: ["project_id", "source", "key", "kind", "value", "count", "last_seen"], rows: 2 },
    ]);
    for (const { bytes } of tables) expect(mergeNativeBlocks([bytes])).toEqual(bytes);
    expect(mergeNativeBlocks([tables[1]!.bytes, tables[1]!.bytes]).byteLength).toBeGreaterThan(tables[1]!.bytes.byteLength);
  });
});
