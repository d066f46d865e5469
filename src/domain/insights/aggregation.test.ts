import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { AggregationType, EventQuerySchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { aggregationSql } from "./aggregation.ts";
import { directValue, mergedValue } from "./metric-sql.ts";
import { eventScope } from "./event-scope.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const scope = () =>
  eventScope({
    params: new QueryParams(PROJECT),
    window: { fromMs: 0, toMs: 1000 },
    includeCookieless: false,
  });
const query = (aggregation: AggregationType, aggregationProperty = "") => create(EventQuerySchema, { aggregation, aggregationProperty });

const valueOf = (metric: ReturnType<typeof aggregationSql>) => directValue(metric);

describe("aggregations", () => {
  test("TOTAL (also when unset) counts events without joining persons", () => {
    for (const aggregation of [AggregationType.UNSPECIFIED, AggregationType.TOTAL]) {
      const events = scope();
      const metric = aggregationSql(query(aggregation), events, "spec.events[0]");
      expect([valueOf(metric), metric.where]).toEqual(["toFloat64(count())", "1"]);
      expect(events.from()).toBe("events AS e");
    }
  });

  test("UNIQUE_USERS and PER_USER_AVG count persons, which joins the aliases", () => {
    const events = scope();
    const person = "if(ifNull(person_aliases.person, '') != '', person_aliases.person, e.distinct_id)";
    expect(valueOf(aggregationSql(query(AggregationType.UNIQUE_USERS), events, "spec.events[0]"))).toBe(`toFloat64(uniqExact(${person}))`);
    expect(events.from()).toStartWith("events AS e LEFT JOIN (");
    const perUser = aggregationSql(query(AggregationType.PER_USER_AVG), scope(), "spec.events[0]");
    expect(valueOf(perUser)).toBe(`toFloat64(count() / uniqExact(${person}))`);
    expect(mergedValue(perUser)).toBe("toFloat64(countMerge(s_c) / uniqExactMerge(s_u))");
  });

  test("SUM…MAX read the property as a number, only where it is one; the name is a parameter", () => {
    const events = scope();
    const sum = aggregationSql(query(AggregationType.SUM, "amount"), events, "spec.events[0]");
    const number = "if(mapContains(e.custom_numbers, {p2:String}), e.custom_numbers[{p2:String}], NULL)";
    expect([valueOf(sum), sum.where]).toEqual([`toFloat64(sum(assumeNotNull(${number})))`, `(${number}) IS NOT NULL`]);
    expect(events.filters.params.values.p2).toBe("amount");
    expect(valueOf(aggregationSql(query(AggregationType.AVG, "$screenWidth"), scope(), "f"))).toBe("toFloat64(avg(assumeNotNull(toNullable(toFloat64(e.screen_width)))))");
    expect(mergedValue(aggregationSql(query(AggregationType.MIN, "x"), scope(), "f"))).toBe("toFloat64(minMerge(s_n))");
    expect(mergedValue(aggregationSql(query(AggregationType.MAX, "x"), scope(), "f"))).toBe("toFloat64(maxMerge(s_n))");
  });

  test("refuses SUM…MAX without a property, an overlong or malformed property and an unknown aggregation", () => {
    expect(refusalOf(() => aggregationSql(query(AggregationType.SUM), scope(), "spec.events[1]"))).toBe(
      "spec.events[1].aggregation_property: required for SUM (the numeric property it reads)",
    );
    expect(refusalOf(() => aggregationSql(query(AggregationType.MAX, "x".repeat(201)), scope(), "spec.events[0]"))).toBe(
      "spec.events[0].aggregation_property: longer than 200 characters",
    );
    expect(refusalOf(() => aggregationSql(query(AggregationType.TOTAL, "a b"), scope(), "spec.events[0]"))).toStartWith("spec.events[0].aggregation_property: letters, digits");
    expect(refusalOf(() => aggregationSql(query(99 as AggregationType), scope(), "spec.events[0]"))).toBe("spec.events[0].aggregation: unknown aggregation 99");
  });
});
