import { expect, test } from "bun:test";
import { pageSizeOf } from "./page-size.ts";

test("0 is the default of 100; 1 to 1000 as given; negative or above 1000 refused naming the field", () => {
  expect([pageSizeOf(0), pageSizeOf(1), pageSizeOf(1000)]).toEqual([100, 1, 1000]);
  expect(() => pageSizeOf(1001)).toThrow("page_size: 1001 is above the maximum of 1000");
  expect(() => pageSizeOf(-1, "x.page_size")).toThrow("x.page_size: -1 is negative");
});
