import { describe, expect, test } from "bun:test";
import { AggregationType, InsightType, UserFlowQuery_NodeKind } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { FIXTURE_PROJECT, insightInput, type SpecInit as Spec } from "./insight-input-fixture.ts";
import { buildUserFlow } from "./user-flow.ts";

const build = (spec: Spec) => buildUserFlow(insightInput(InsightType.USER_FLOW, spec));


describe("buildUserFlow", () => {
  test("the node property, the scope and the hop count reach ClickHouse as parameters", () => {
    const plan = build({ userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "plan.tier", maxHops: 3, scope: { kind: "page'view" } } });
    const [query] = plan.queries;
    expect(query!.sql).not.toContain("plan.tier");
    expect(query!.sql).not.toContain("page'view");
    expect(Object.values(query!.params)).toEqual(expect.arrayContaining([FIXTURE_PROJECT, "plan.tier", "page'view", 4]));
    expect(query!.sql).toContain("custom_properties[");
  });

  test("a $name node property is read where auto properties live", () => {
    expect(build({ userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "$pathname" } }).queries[0]!.sql).toContain("e.pathname");
  });

  test("rows of label hashes become the graph of their labels, link values as int64", () => {
    const plan = build({ userFlow: {} });
    expect(plan.queries).toHaveLength(2);
    const labels = [{ node: "11", label: "/a" }, { node: "12", label: "/b" }];
    const result = plan.shape([[{ depth: 0, source: "11", target: "12", sessions: "3" }], labels]);
    expect(result.case).toBe("userFlow");
    const value = result.value as { nodes: { label: string }[]; links: { value: bigint }[] };
    expect(value.nodes.map((node) => node.label)).toEqual(["/a", "/b"]);
    expect(value.links[0]!.value).toBe(3n);
    expect(() => plan.shape([[{ depth: 0, source: "11", target: "13", sessions: "1" }], labels])).toThrow("no label for node 13");
  });

  test.each([
    ["no user_flow", {}, "spec.user_flow"],
    ["events", { userFlow: {}, events: [{ aggregation: AggregationType.TOTAL }] }, "spec.events"],
    ["session", { userFlow: {}, session: {} }, "spec.session"],
    ["breakdowns", { userFlow: {}, breakdowns: [{ property: "$browser" }] }, "spec.breakdowns"],
    ["breakdown_limit", { userFlow: {}, breakdownLimit: 5 }, "spec.breakdown_limit"],
    ["max_hops 11", { userFlow: { maxHops: 11 } }, "spec.user_flow.max_hops"],
    ["max_hops -1", { userFlow: { maxHops: -1 } }, "spec.user_flow.max_hops"],
    ["max_nodes 1", { userFlow: { maxNodes: 1 } }, "spec.user_flow.max_nodes"],
    ["max_nodes 51", { userFlow: { maxNodes: 51 } }, "spec.user_flow.max_nodes"],
    ["max_links 501", { userFlow: { maxLinks: 501 } }, "spec.user_flow.max_links"],
    ["PROPERTY without a property", { userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY } }, "spec.user_flow.node_property"],
    ["a property outside the pattern", { userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "a b" } }, "spec.user_flow.node_property"],
    ["a property for EVENT_KIND", { userFlow: { nodeKind: UserFlowQuery_NodeKind.EVENT_KIND, nodeProperty: "$pathname" } }, "spec.user_flow.node_property"],
    ["an unknown node kind", { userFlow: { nodeKind: 9 } }, "spec.user_flow.node_kind"],
    ["an unknown grouping", { userFlow: { groupBy: 7 } }, "spec.user_flow.group_by"],
    ["a bad scope filter", { userFlow: { scope: { filters: [{ property: "" }] } } }, "spec.user_flow.scope.filters[0].property"],
  ] as [string, Spec, string][])("refused: %s", (_name, spec, field) => {
    expect(refusalOf(() => build(spec))).toStartWith(`${field}: `);
  });
});
