// The client's IP: the socket peer, unless that peer is a trusted proxy; then the right-most address in
// X-Forwarded-For that is not a trusted proxy itself. Anything a client could forge further left is ignored.

import ipaddr from "ipaddr.js";

export type TrustedProxies = (address: string) => boolean;

export function trustedProxies(entries: string[]): TrustedProxies {
  const ranges = entries.map((entry) => (entry.includes("/") ? ipaddr.parseCIDR(entry) : ([ipaddr.parse(entry), ipaddr.parse(entry).kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])));
  return (address) => {
    const ip = normalise(address);
    if (!ip) return false;
    return ranges.some(([range, bits]) => ip.kind() === range.kind() && ip.match([range, bits] as never));
  };
}

export function clientIp(socketAddress: string, forwardedFor: string | null, trusted: TrustedProxies): string {
  const peer = normalise(socketAddress)?.toString() ?? socketAddress;
  if (!forwardedFor || !trusted(peer)) return peer;
  const hops = forwardedFor.split(",").map((hop) => hop.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalise(hops[i]!);
    if (!hop) return peer;
    if (!trusted(hop.toString())) return hop.toString();
  }
  return peer;
}

/** Parses an address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const ip = ipaddr.parse(address.replace(/^\[|\]$/g, ""));
    return ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
  } catch {
    return undefined;
  }
}
