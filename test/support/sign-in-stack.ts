// A running `pug server` for sign-in tests (open sign-up, the test runner trusted as a proxy so each call can speak
// from an address of its own), plus a second server on the same stores with sign-up by invitation only and a
// previous JWT secret, and the helpers those tests share: fresh client addresses, the mail queued for someone, a
// sign-in by mailed link.

import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import { ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { queuedMail } from "./dashboard-people.ts";
import { type IngestStack, ingestStack } from "./ingest-stack.ts";
import { freePort } from "./ports.ts";
import { startPug, waitForHttp } from "./pug-process.ts";

export const DASHBOARD = "http://localhost:5173";
/** The refusal of a link that was used, voided, expired or never issued. */
export const USED = "Unauthenticated: this sign-in link is invalid, used or expired; request a new one";
/** The second server is mid-rotation: it still accepts tokens of this secret. */
export const PREVIOUS_SECRET = "the-secret-before-the-rotation-of-the-second-server";

export interface SignInStack {
  stack: IngestStack;
  sql: Sql;
  auth: Client<typeof AuthService>;
  customers: Client<typeof CustomersService>;
  projects: Client<typeof ProjectsService>;
  inviteOnlyAuth: Client<typeof AuthService>;
  inviteOnlyCustomers: Client<typeof CustomersService>;
  stop(): Promise<void>;
}

export async function startSignInStack(name: string): Promise<SignInStack> {
  const stack = await ingestStack(name, { env: { PUG_SIGNUP: "open", PUG_TRUSTED_PROXIES: "127.0.0.1", PUG_DASHBOARD_URL: DASHBOARD } });
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  const transport = createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat: false });
  const port = freePort();
  const inviteOnly = startPug(["server"], { ...stack.env, PUG_SIGNUP: "invite_only", PUG_SERVER_PORT: String(port), PUG_JWT_SECRET_KEY_PREVIOUS: PREVIOUS_SECRET });
  await waitForHttp(`http://127.0.0.1:${port}/readyz`);
  const inviteOnlyTransport = createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, useBinaryFormat: false });
  return {
    stack,
    sql,
    auth: createClient(AuthService, transport),
    customers: createClient(CustomersService, transport),
    projects: createClient(ProjectsService, transport),
    inviteOnlyAuth: createClient(AuthService, inviteOnlyTransport),
    inviteOnlyCustomers: createClient(CustomersService, inviteOnlyTransport),
    async stop() {
      await inviteOnly.stop();
      await sql.end();
      await stack.stop();
    },
  };
}

/** Helpers over the stack `current()` answers once started. */
export function signInHelpers(current: () => { stack: IngestStack; sql: Sql; auth: Client<typeof AuthService> }) {
  let lastIp = 0;
  /** Call options from an address no other call used. */
  const fresh = () => ({ headers: { "x-forwarded-for": `198.51.100.${++lastIp}` } });
  /** Call options from the client address `ip`. */
  const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  /** Every mail queued for `to`, oldest first, as the email worker would read them. */
  const mailsTo = async (to: string): Promise<EmailJob[]> => (await queuedMail(current().stack.nats)).filter((job) => job.to === to);
  const lastLinkTo = async (to: string): Promise<string> => {
    const job = (await mailsTo(to)).at(-1);
    if (job?.template !== "magic_link") throw new Error(`no sign-in mail to ${to}`);
    return job.data.link;
  };
  const tokenOf = (link: string) => new URL(link).searchParams.get("token") ?? "";
  const requestToken = async (email: string, client = current().auth): Promise<string> => {
    await client.requestMagicLink({ email }, fresh());
    return tokenOf(await lastLinkTo(email));
  };
  const signIn = async (email: string, timezone = "UTC") => await current().auth.completeMagicLink({ token: await requestToken(email), timezone });
  const customerIdOf = async (email: string): Promise<string> => {
    const [row] = await current().sql<{ id: string }[]>`SELECT id FROM customers WHERE email = ${email}`;
    return row!.id;
  };
  return { fresh, from, bearer, mailsTo, lastLinkTo, tokenOf, requestToken, signIn, customerIdOf };
}
