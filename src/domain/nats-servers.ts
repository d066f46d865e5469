// `NATS_URL` is a comma-separated list of servers, as operators write it for a cluster. The NATS client takes
// a list of host:port addresses and credentials as separate options: it ignores `user:pass@` inside a URL, and
// given the whole list as one string it keeps only the last server. So the list is split here.

export interface NatsServers {
  /** `nats://host:port` (or `tls://`, `ws://`, `wss://`) per server, credentials removed. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

export function parseNatsServers(text: string): NatsServers {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) throw new Error("NATS_URL lists no server");
  const servers: string[] = [];
  let credentials: { user?: string; pass?: string; token?: string } | undefined;
  for (const part of parts) {
    const match = /^([a-z]+):\/\/(?:([^@/]*)@)?([^@/\s]+)\/?$/.exec(part);
    if (!match) throw new Error(`NATS_URL: '${redactCredentials(part)}' is not a server URL like nats://10.0.0.7:4222`);
    const [, scheme, userinfo, hostPort] = match;
    servers.push(`${scheme}://${hostPort}`);
    if (userinfo === undefined) continue;
    const found = userCredentials(userinfo);
    if (credentials && JSON.stringify(credentials) !== JSON.stringify(found)) {
      throw new Error("NATS_URL: the servers carry different credentials; a connection logs in to every server with the same ones");
    }
    credentials = found;
  }
  return { servers, ...credentials };
}

/** `user:pass` is a user and password, a lone `secret` a token (as nats-server and the NATS CLI read them). */
function userCredentials(userinfo: string): { user?: string; pass?: string; token?: string } {
  const colon = userinfo.indexOf(":");
  if (colon === -1) return { token: decodeURIComponent(userinfo) };
  return { user: decodeURIComponent(userinfo.slice(0, colon)), pass: decodeURIComponent(userinfo.slice(colon + 1)) };
}

const redactCredentials = (url: string) => url.replace(/^([a-z]+:\/\/)?[^@/]*@/, "$1***@");
