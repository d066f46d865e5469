import { expect, test } from "bun:test";
import { clientNetwork } from "./client-network.ts";

test("IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4, nonsense as nothing", () => {
  const cases: [string, string | undefined][] = [
    ["198.51.100.7", "198.51.100.7"],
    ["198.51.100.8", "198.51.100.8"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["[2001:db8:1:2:aaaa::5]", "2001:db8:1:2::/64"],
    ["2001:db8:1:3::1", "2001:db8:1:3::/64"],
    ["::1", "::/64"],
    ["::ffff:198.51.100.7", "198.51.100.7"],
    ["", undefined],
    ["unknown", undefined],
  ];
  for (const [ip, network] of cases) expect([ip, clientNetwork(ip)]).toEqual([ip, network]);
});
