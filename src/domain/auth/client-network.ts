// The network a sign-in attempt comes from, as per-IP limits count it: an IPv4 address on its own, an IPv6 address
// by its /64 (one host commonly holds a whole /64, so counting addresses would give it endless buckets).

import ipaddr from "ipaddr.js";

/** `198.51.100.7` or `2001:db8:1:2::/64`; IPv4-mapped IPv6 counts as its IPv4 address; undefined if no address. */
export function clientNetwork(ip: string): string | undefined {
  let address;
  try {
    address = ipaddr.parse(ip.trim().replace(/^\[|\]$/g, ""));
  } catch {
    return undefined;
  }
  if (address.kind() === "ipv4") return address.toString();
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${v6.toString()}/64`);
  return `${prefix.toString()}/64`;
}
