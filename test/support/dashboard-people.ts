// People of the dashboard for API tests: customers and memberships written straight into Postgres, their
// dashboard tokens, the orgs and projects clients on the dashboard's own transport, and the mail they are sent
// (as queued on the stack's email stream).

import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import type { Role } from "../../src/domain/auth/roles.ts";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import { emailSealKey, openEmailJob } from "../../src/domain/email/email-seal.ts";
import type { Nats } from "../../src/infra/nats.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { OrgsService } from "../../src/gen/dashboard/orgs/v1/orgs_pb.ts";
import { ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { TEST_JWT_SECRET } from "./scratch.ts";

export interface Person {
  id: string;
  email: string;
  /** Headers of a dashboard call by this person; add `x-project-id` for project calls. */
  headers: Record<string, string>;
}

export async function seedPerson(sql: Sql, email: string, displayName = ""): Promise<Person> {
  const [row] = await sql<{ id: string }[]>`INSERT INTO customers (email, display_name, email_verified) VALUES (${email}, ${displayName}, true) RETURNING id`;
  return { id: row!.id, email, headers: { authorization: `Bearer ${await signAccessToken(TEST_JWT_SECRET, row!.id)}` } };
}

/** A new org with these members; returns its id. */
export async function seedOrg(sql: Sql, name: string, members: [Person, Role][]): Promise<string> {
  const [org] = await sql<{ id: string }[]>`INSERT INTO orgs (name) VALUES (${name}) RETURNING id`;
  for (const [person, role] of members) await sql`INSERT INTO org_members (org_id, customer_id, role) VALUES (${org!.id}, ${person.id}, ${role})`;
  return org!.id;
}

export const inProject = (person: Person, projectId: string) => ({ headers: { ...person.headers, "x-project-id": projectId } });

export interface DashboardClients {
  orgs: Client<typeof OrgsService>;
  projects: Client<typeof ProjectsService>;
}

export function dashboardClients(baseUrl: string, useBinaryFormat = false): DashboardClients {
  const transport = createConnectTransport({ baseUrl, useBinaryFormat });
  return { orgs: createClient(OrgsService, transport), projects: createClient(ProjectsService, transport) };
}

/** Every mail job now waiting on the stack's email stream, oldest first, opened as the email worker opens them. */
export async function queuedMail(nats: Nats): Promise<EmailJob[]> {
  const key = emailSealKey(TEST_JWT_SECRET);
  const stream = nats.names.stream("email");
  const { state } = await nats.jsm.streams.info(stream);
  const jobs: EmailJob[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // null for a message already gone (JetStream's "no message found"); anything else is an error.
    const message = await nats.jsm.streams.getMessage(stream, { seq });
    if (message) jobs.push(openEmailJob(key, message.data));
  }
  return jobs;
}

/** "ok", or the Connect code and message a call was refused with; an error that is no Connect error propagates. */
export async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
}

export interface SeededMember {
  customerId: string;
  email: string;
  orgId: string;
  projectId: string;
  /** A valid dashboard access token of the person. */
  token: string;
}

/** A person with `role` in `orgId` (a new org with one project when absent). */
export async function seedMember(sql: Sql, role: Role, options: { orgId?: string; email?: string } = {}): Promise<SeededMember> {
  const person = await seedPerson(sql, options.email ?? `${role}-${crypto.randomUUID().slice(0, 8)}@example.test`);
  const orgId = options.orgId ?? (await seedOrg(sql, `org of ${person.email}`, []));
  await sql`INSERT INTO org_members (org_id, customer_id, role) VALUES (${orgId}, ${person.id}, ${role})`;
  const [project] = await sql<{ id: string }[]>`SELECT id FROM projects WHERE org_id = ${orgId} AND deleted_at IS NULL ORDER BY created_at LIMIT 1`;
  const projectId = project?.id ?? (await sql<{ id: string }[]>`INSERT INTO projects (org_id, name) VALUES (${orgId}, 'seeded project') RETURNING id`)[0]!.id;
  return { customerId: person.id, email: person.email, orgId, projectId, token: person.headers.authorization!.slice("Bearer ".length) };
}
