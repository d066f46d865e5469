import { describe, expect, test } from "bun:test";
import { parseNatsServers } from "./nats-servers.ts";

describe("parseNatsServers", () => {
  const cases: [string, string, ReturnType<typeof parseNatsServers>][] = [
    ["one server", "nats://127.0.0.1:4222", { servers: ["nats://127.0.0.1:4222"] }],
    ["a list, spaces around the commas", " nats://10.0.0.1:4222 , nats://10.0.0.2:4222,nats://10.0.0.3:4222 ", {
      servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222", "nats://10.0.0.3:4222"],
    }],
    ["user and password on every server", "nats://pug:s%40cret@a:4222,nats://pug:s%40cret@b:4222", { servers: ["nats://a:4222", "nats://b:4222"], user: "pug", pass: "s@cret" }],
    ["credentials on one server only apply to all", "nats://a:4222,tls://pug:pw@b:4222", { servers: ["nats://a:4222", "tls://b:4222"], user: "pug", pass: "pw" }],
    ["a token", "nats://t0ken@a:4222", { servers: ["nats://a:4222"], token: "t0ken" }],
    ["a trailing slash and IPv6", "nats://[::1]:4222/", { servers: ["nats://[::1]:4222"] }],
  ];
  test.each(cases)("%s", (_label, text, expected) => {
    expect(parseNatsServers(text)).toEqual(expected);
  });

  test("different credentials per server are refused rather than guessed", () => {
    expect(() => parseNatsServers("nats://a:1@h:4222,nats://b:2@h:4223")).toThrow("different credentials");
  });

  test("a part that is not a URL is named, its password masked", () => {
    expect(() => parseNatsServers("nats://h:4222,pug:secret@h2:4222")).toThrow("NATS_URL: '***@h2:4222' is not a server URL");
    expect(() => parseNatsServers("nats://u:secret@h:4222/path")).toThrow("'nats://***@h:4222/path'");
    expect(() => parseNatsServers(" , ")).toThrow("lists no server");
  });
});
