import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { PropertyValueSchema } from "../../../gen/common/v1/property_value_pb.ts";
import { EventSchema } from "../../../gen/sdk/events/v1/events_pb.ts";
import { newWorkingEvent } from "../new-row.ts";
import type { WorkingEvent } from "../pipeline-types.ts";
import { putUrl } from "./put-url.ts";

const request = { projectId: "7f8e1c1a-0000-4000-8000-000000000001", userAgent: "", receivedAtMs: 0, geo: { country: "", region: "", city: "" }, visitorHash: "" };
const rowFor = (url: string) => {
  const event = create(EventSchema, {
    eventId: "0192e4c1-5b7a-7c3e-9f10-1234567890ab",
    occurTime: { seconds: 0n, nanos: 0 },
    autoProperties: { $url: create(PropertyValueSchema, { value: { case: "stringValue", value: url } }) },
  });
  return (putUrl(newWorkingEvent(event, request), { userAgent: () => { throw new Error("unused"); } }) as WorkingEvent).row;
};

test("UTM parameters are read, decoded, whether or not the query also holds other keys", () => {
  expect(rowFor("https://www.shop.example/a/b?x=1&utm_source=news+letter&utm_medium=e%2Dmail")).toMatchObject({
    hostname: "shop.example", pathname: "/a/b", utm_source: "news letter", utm_medium: "e-mail", utm_campaign: "",
  });
});

test("a UTM key spelled with percent-escapes is still found", () => {
  expect(rowFor("https://shop.example/?%75tm_campaign=spring").utm_campaign).toBe("spring");
});

test("a URL without UTM parameters leaves them empty; other schemes are not split", () => {
  expect(rowFor("https://shop.example/pricing?plan=pro")).toMatchObject({ pathname: "/pricing", utm_source: "", utm_term: "" });
  expect(rowFor("ftp://shop.example/file")).toMatchObject({ url: "ftp://shop.example/file", hostname: "", pathname: "" });
});
