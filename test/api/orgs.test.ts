// dashboard.orgs.v1.OrgsService against a running `pug server`, on the dashboard's own transport (Connect JSON):
// each call's answer and the rows it leaves, the last-admin rule (also under a race), invitations and their mail
// on the email stream (and the hourly budgets of that mail), an admin demoted while their call waits for the org's
// rows, and ids of another org not found.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { secretTokenHash } from "../../src/domain/auth/secret-token.ts";
import { InvitationStatus, OrgRole } from "../../src/gen/dashboard/orgs/v1/orgs_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { type DashboardClients, dashboardClients, refusal, type Person, queuedMail, seedOrg, seedPerson } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort } from "../support/ports.ts";
import { startPug, waitForHttp } from "../support/pug-process.ts";

let stack: IngestStack;
let sql: Sql;
let api: DashboardClients;
let ada: Person, bob: Person, cy: Person, eve: Person;
/** Ada's org (ada admin, bob member, cy viewer) and Eve's (eve admin). */
let orgA: string, orgB: string;

beforeAll(async () => {
  stack = await ingestStack("api_orgs", { env: { PUG_DASHBOARD_URL: "https://dash.example.test" } });
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  api = dashboardClients(stack.baseUrl);
  ada = await seedPerson(sql, "ada@example.com", "Ada");
  bob = await seedPerson(sql, "bob@example.com", "Bob");
  cy = await seedPerson(sql, "cy@example.com");
  eve = await seedPerson(sql, "eve@example.com", "Eve");
  orgA = await seedOrg(sql, "Analytical Engines", [[ada, "admin"], [bob, "member"], [cy, "viewer"]]);
  orgB = await seedOrg(sql, "Eve's", [[eve, "admin"]]);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});


const rolesOf = async (orgId: string) =>
  Object.fromEntries((await sql<{ email: string; role: string }[]>`SELECT c.email, m.role FROM org_members m JOIN customers c ON c.id = m.customer_id WHERE m.org_id = ${orgId}`).map((r) => [r.email, r.role]));

const invitationRow = async (id: string) =>
  (await sql<{ email: string; role: string; token_sha256: Buffer; invited_by: string; expires_at: Date; revoked_at: Date | null }[]>`
    SELECT email, role, token_sha256, invited_by, expires_at, revoked_at FROM invitations WHERE id = ${id}`)[0]!;
const mailFor = async (email: string) => (await queuedMail(stack.nats)).filter((job) => job.to === email);
const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;
const days = (date: Date | string) => (new Date(date).getTime() - Date.now()) / 86_400_000;

describe("orgs", () => {
  test("Create makes the caller its admin; List and Get show it with the caller's role", async () => {
    const { org } = await api.orgs.create({ displayName: "  Difference Engines  " }, { headers: bob.headers });
    expect(org).toMatchObject({ displayName: "Difference Engines", role: OrgRole.ADMIN });
    expect([...(await sql`SELECT name FROM orgs WHERE id = ${org!.id}`)]).toEqual([{ name: "Difference Engines" }]);
    expect(await rolesOf(org!.id)).toEqual({ "bob@example.com": "admin" });

    const listed = (await api.orgs.list({}, { headers: bob.headers })).orgs.map((o) => [o.displayName, o.id, OrgRole[o.role]]);
    expect(listed).toEqual([["Analytical Engines", orgA, "MEMBER"], ["Difference Engines", org!.id, "ADMIN"]]);
    expect((await api.orgs.list({}, { headers: eve.headers })).orgs.map((o) => o.id)).toEqual([orgB]);
    expect((await api.orgs.get({ orgId: orgA }, { headers: cy.headers })).org).toMatchObject({ id: orgA, displayName: "Analytical Engines", role: OrgRole.VIEWER });
    await sql`DELETE FROM orgs WHERE id = ${org!.id}`;
  });

  test.each([
    ["empty", "", "InvalidArgument: display_name: required"],
    ["blank", "   ", "InvalidArgument: display_name: required"],
    ["of 201 characters", "x".repeat(201), "InvalidArgument: display_name: at most 200 characters, got 201"],
  ])("Create and UpdateDisplayName refuse a name %s", async (_, name, expected) => {
    expect(await refusal(api.orgs.create({ displayName: name }, { headers: ada.headers }))).toBe(expected);
    expect(await refusal(api.orgs.updateDisplayName({ orgId: orgA, displayName: name }, { headers: ada.headers }))).toBe(expected);
  });

  test("UpdateDisplayName renames the org; only an admin may", async () => {
    const { org } = await api.orgs.updateDisplayName({ orgId: orgB, displayName: "Eve & Co" }, { headers: eve.headers });
    expect(org).toMatchObject({ id: orgB, displayName: "Eve & Co", role: OrgRole.ADMIN });
    expect([...(await sql`SELECT name FROM orgs WHERE id = ${orgB}`)]).toEqual([{ name: "Eve & Co" }]);
    expect(await refusal(api.orgs.updateDisplayName({ orgId: orgA, displayName: "Mine" }, { headers: bob.headers }))).toBe("PermissionDenied: this needs the admin role in the org; you are a member");
  });

  test("ListMembers shows every member's email, name and role", async () => {
    const { members } = await api.orgs.listMembers({ orgId: orgA }, { headers: cy.headers });
    expect(members.map((m) => [m.customerId, m.orgId, m.email, m.displayName, OrgRole[m.role]])).toEqual([
      [ada.id, orgA, "ada@example.com", "Ada", "ADMIN"],
      [bob.id, orgA, "bob@example.com", "Bob", "MEMBER"],
      [cy.id, orgA, "cy@example.com", "", "VIEWER"],
    ]);
  });

  test("UpdateMemberRole changes a member's role and answers the member", async () => {
    const { member } = await api.orgs.updateMemberRole({ orgId: orgA, customerId: cy.id, role: OrgRole.MEMBER }, { headers: ada.headers });
    expect(member).toMatchObject({ customerId: cy.id, orgId: orgA, email: "cy@example.com", role: OrgRole.MEMBER });
    expect((await rolesOf(orgA))["cy@example.com"]).toBe("member");
    await api.orgs.updateMemberRole({ orgId: orgA, customerId: cy.id, role: OrgRole.VIEWER }, { headers: ada.headers });
    expect((await rolesOf(orgA))["cy@example.com"]).toBe("viewer");

    expect(await refusal(api.orgs.updateMemberRole({ orgId: orgA, customerId: cy.id, role: OrgRole.UNSPECIFIED }, { headers: ada.headers }))).toBe(
      "InvalidArgument: role: required: ORG_ROLE_ADMIN, ORG_ROLE_MEMBER or ORG_ROLE_VIEWER",
    );
    expect(await refusal(api.orgs.updateMemberRole({ orgId: orgA, customerId: "someone", role: OrgRole.MEMBER }, { headers: ada.headers }))).toBe(
      "InvalidArgument: customer_id: not a customer id (a UUID)",
    );
    expect(await refusal(api.orgs.updateMemberRole({ orgId: orgA, customerId: crypto.randomUUID(), role: OrgRole.MEMBER }, { headers: ada.headers }))).toBe(
      "NotFound: no such member in this org",
    );
  });

  test("the last admin can neither leave, be removed, nor be demoted; with a second admin they can", async () => {
    const org = await seedOrg(sql, "Solo", [[ada, "admin"], [bob, "member"]]);
    const asAda = { headers: ada.headers };
    expect(await refusal(api.orgs.leave({ orgId: org }, asAda))).toBe("FailedPrecondition: the org's last admin cannot leave the org: make another member an admin first");
    expect(await refusal(api.orgs.removeMember({ orgId: org, customerId: ada.id }, asAda))).toBe("FailedPrecondition: the org's last admin cannot be removed: make another member an admin first");
    expect(await refusal(api.orgs.updateMemberRole({ orgId: org, customerId: ada.id, role: OrgRole.VIEWER }, asAda))).toBe(
      "FailedPrecondition: the org's last admin cannot be demoted: make another member an admin first",
    );
    expect(await rolesOf(org)).toEqual({ "ada@example.com": "admin", "bob@example.com": "member" });

    await api.orgs.updateMemberRole({ orgId: org, customerId: bob.id, role: OrgRole.ADMIN }, asAda);
    await api.orgs.updateMemberRole({ orgId: org, customerId: ada.id, role: OrgRole.MEMBER }, { headers: bob.headers });
    expect(await rolesOf(org)).toEqual({ "ada@example.com": "member", "bob@example.com": "admin" });
    await api.orgs.leave({ orgId: org }, asAda);
    expect(await rolesOf(org)).toEqual({ "bob@example.com": "admin" });
    expect(await refusal(api.orgs.get({ orgId: org }, asAda))).toBe("PermissionDenied: you are not a member of this org");
  });

  test("two admins demoting each other at once: one wins, the org keeps an admin", async () => {
    for (let round = 0; round < 5; round++) {
      const org = await seedOrg(sql, `Race ${round}`, [[ada, "admin"], [bob, "admin"]]);
      const results = await Promise.all([
        refusal(api.orgs.updateMemberRole({ orgId: org, customerId: bob.id, role: OrgRole.MEMBER }, { headers: ada.headers })),
        refusal(api.orgs.updateMemberRole({ orgId: org, customerId: ada.id, role: OrgRole.MEMBER }, { headers: bob.headers })),
      ]);
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      // The loser was demoted by the winner before its own change ran (its role is re-checked on the locked rows).
      expect(results.filter((r) => r !== "ok")[0]).toMatch(/^(FailedPrecondition: the org's last admin cannot be demoted|PermissionDenied: this needs the admin role|PermissionDenied: you are no longer an admin of this org)/);
      expect(Object.values(await rolesOf(org)).sort()).toEqual(["admin", "member"]);
    }
  });

  test("RemoveMember removes a member; a second time they are not found", async () => {
    const org = await seedOrg(sql, "Removals", [[ada, "admin"], [cy, "viewer"]]);
    await api.orgs.removeMember({ orgId: org, customerId: cy.id }, { headers: ada.headers });
    expect(await rolesOf(org)).toEqual({ "ada@example.com": "admin" });
    expect(await refusal(api.orgs.removeMember({ orgId: org, customerId: cy.id }, { headers: ada.headers }))).toBe("NotFound: no such member in this org");
  });

  test("Leave removes the caller", async () => {
    const org = await seedOrg(sql, "Leaving", [[ada, "admin"], [cy, "viewer"]]);
    await api.orgs.leave({ orgId: org }, { headers: cy.headers });
    expect(await rolesOf(org)).toEqual({ "ada@example.com": "admin" });
  });
});

describe("invitations", () => {
  test("InviteMember stores a pending invitation with the link's token hashed and queues its mail", async () => {
    const { invitation } = await api.orgs.inviteMember({ orgId: orgA, email: "  New.Person@Example.COM ", role: OrgRole.MEMBER }, { headers: ada.headers });
    expect(invitation).toMatchObject({ orgId: orgA, email: "new.person@example.com", role: OrgRole.MEMBER, status: InvitationStatus.PENDING });
    expect(days(invitation!.expiresAt)).toBeGreaterThan(6.99);
    expect(days(invitation!.expiresAt)).toBeLessThanOrEqual(7);
    const row = await invitationRow(invitation!.id);
    expect(row).toMatchObject({ email: "new.person@example.com", role: "member", invited_by: ada.id, revoked_at: null });
    expect(row.expires_at.toISOString()).toBe(invitation!.expiresAt);

    const [mail, ...more] = await mailFor("new.person@example.com");
    expect(more).toEqual([]);
    expect(mail!.template).toBe("invitation");
    expect(mail!.data).toMatchObject({ orgName: "Analytical Engines", invitedBy: "ada@example.com", role: "member", expiresDays: 7 });
    const link = (mail!.data as { link: string }).link;
    expect(link).toStartWith("https://dash.example.test/magic-link?token=");
    expect(secretTokenHash(tokenOf(link)).equals(row.token_sha256)).toBe(true);
    expect(mail!.idempotencyKey).toBe(`invitation-${invitation!.id}-${row.token_sha256.toString("hex").slice(0, 16)}`);
    expect(mail!.notAfter).toBe(row.expires_at.getTime());

    expect((await api.orgs.listInvitations({ orgId: orgA }, { headers: bob.headers })).invitations.map((i) => i.email)).toContain("new.person@example.com");
  });

  test("inviting an address again re-issues its pending invitation: same id, new role and token, a new mail", async () => {
    const first = (await api.orgs.inviteMember({ orgId: orgA, email: "twice@example.com", role: OrgRole.MEMBER }, { headers: ada.headers })).invitation!;
    const before = await invitationRow(first.id);
    const again = (await api.orgs.inviteMember({ orgId: orgA, email: "Twice@example.com", role: OrgRole.VIEWER }, { headers: ada.headers })).invitation!;
    expect(again).toMatchObject({ id: first.id, role: OrgRole.VIEWER });
    const after = await invitationRow(first.id);
    expect(after.role).toBe("viewer");
    expect(after.token_sha256.equals(before.token_sha256)).toBe(false);
    expect([...(await sql`SELECT count(*)::int AS n FROM invitations WHERE org_id = ${orgA} AND email = 'twice@example.com'`)]).toEqual([{ n: 1 }]);
    const links = (await mailFor("twice@example.com")).map((job) => tokenOf((job.data as { link: string }).link));
    expect(links).toHaveLength(2);
    expect(secretTokenHash(links[1]!).equals(after.token_sha256)).toBe(true);
  });

  test.each([
    ["a member's address", { email: "bob@example.com", role: OrgRole.ADMIN }, "AlreadyExists: bob@example.com is already a member of this org"],
    ["a member's address spelled otherwise", { email: " BOB@example.com", role: OrgRole.ADMIN }, "AlreadyExists: bob@example.com is already a member of this org"],
    ["no role", { email: "someone@example.com", role: OrgRole.UNSPECIFIED }, "InvalidArgument: role: required: ORG_ROLE_ADMIN, ORG_ROLE_MEMBER or ORG_ROLE_VIEWER"],
    ["not an address", { email: "not an address", role: OrgRole.MEMBER }, "InvalidArgument: email: must be an address like name@example.com"],
    ["no address", { email: "", role: OrgRole.MEMBER }, "InvalidArgument: email: required"],
  ] as const)("InviteMember refuses %s", async (_, request, expected) => {
    const before = await sql`SELECT count(*)::int AS n FROM invitations`;
    expect(await refusal(api.orgs.inviteMember({ orgId: orgA, ...request }, { headers: ada.headers }))).toBe(expected);
    expect(await sql`SELECT count(*)::int AS n FROM invitations`).toEqual(before);
  });

  test("ResendInvite replaces the token (the old hash is gone) and gives 7 more days", async () => {
    const { invitation } = await api.orgs.inviteMember({ orgId: orgA, email: "resend@example.com", role: OrgRole.VIEWER }, { headers: ada.headers });
    const old = await invitationRow(invitation!.id);
    // Expired: not listed any more, but can be sent again.
    await sql`UPDATE invitations SET expires_at = now() - interval '1 hour' WHERE id = ${invitation!.id}`;
    expect((await api.orgs.listInvitations({ orgId: orgA }, { headers: ada.headers })).invitations.map((i) => i.id)).not.toContain(invitation!.id);

    const resent = (await api.orgs.resendInvite({ orgId: orgA, invitationId: invitation!.id }, { headers: ada.headers })).invitation!;
    expect(resent).toMatchObject({ id: invitation!.id, email: "resend@example.com", role: OrgRole.VIEWER, status: InvitationStatus.PENDING });
    expect(days(resent.expiresAt)).toBeGreaterThan(6.99);
    const row = await invitationRow(invitation!.id);
    expect(row.token_sha256.equals(old.token_sha256)).toBe(false);
    expect(await sql`SELECT id FROM invitations WHERE token_sha256 = ${old.token_sha256}`).toHaveLength(0);
    const mails = await mailFor("resend@example.com");
    expect(mails).toHaveLength(2);
    expect(secretTokenHash(tokenOf((mails[1]!.data as { link: string }).link)).equals(row.token_sha256)).toBe(true);
    expect(mails.map((mail) => mail.notAfter)).toEqual([old.expires_at.getTime(), row.expires_at.getTime()]);
    expect((await api.orgs.listInvitations({ orgId: orgA }, { headers: ada.headers })).invitations.map((i) => i.id)).toContain(invitation!.id);
  });

  test("RevokeInvite ends a pending invitation; it is no longer listed, resent or revoked", async () => {
    const { invitation } = await api.orgs.inviteMember({ orgId: orgA, email: "revoke@example.com", role: OrgRole.MEMBER }, { headers: ada.headers });
    await api.orgs.revokeInvite({ orgId: orgA, invitationId: invitation!.id }, { headers: ada.headers });
    expect((await invitationRow(invitation!.id)).revoked_at).toBeInstanceOf(Date);
    expect((await api.orgs.listInvitations({ orgId: orgA }, { headers: ada.headers })).invitations.map((i) => i.email)).not.toContain("revoke@example.com");
    const id = { orgId: orgA, invitationId: invitation!.id };
    expect(await refusal(api.orgs.revokeInvite(id, { headers: ada.headers }))).toBe("NotFound: no such pending invitation in this org");
    expect(await refusal(api.orgs.resendInvite(id, { headers: ada.headers }))).toBe("NotFound: no such pending invitation in this org");
    expect(await mailFor("revoke@example.com")).toHaveLength(1);
  });

  test("ListInvitations answers the org's open invitations; a viewer may not list them", async () => {
    const { invitations } = await api.orgs.listInvitations({ orgId: orgB }, { headers: eve.headers });
    expect(invitations).toEqual([]);
    await api.orgs.inviteMember({ orgId: orgB, email: "friend@example.com", role: OrgRole.ADMIN }, { headers: eve.headers });
    const listed = (await api.orgs.listInvitations({ orgId: orgB }, { headers: eve.headers })).invitations;
    expect(listed.map((i) => [i.orgId, i.email, OrgRole[i.role], InvitationStatus[i.status]])).toEqual([[orgB, "friend@example.com", "ADMIN", "PENDING"]]);
    expect(await refusal(api.orgs.listInvitations({ orgId: orgA }, { headers: cy.headers }))).toBe("PermissionDenied: this needs the member role in the org; you are a viewer");
  });
});

describe("invitations and admin rights", () => {
  test("an admin who is demoted or removed takes their pending invitations along; other admins' stay", async () => {
    const org = await seedOrg(sql, "Turnover", [[ada, "admin"], [bob, "admin"]]);
    const sent = async (by: Person, email: string) => (await api.orgs.inviteMember({ orgId: org, email, role: OrgRole.ADMIN }, { headers: by.headers })).invitation!.id;
    const fromBob = await sent(bob, "bobs-other-address@example.com");
    const fromAda = await sent(ada, "new-hire@example.com");
    await api.orgs.updateMemberRole({ orgId: org, customerId: bob.id, role: OrgRole.MEMBER }, { headers: ada.headers });
    expect((await invitationRow(fromBob)).revoked_at).not.toBeNull();
    expect((await invitationRow(fromAda)).revoked_at).toBeNull();
    expect((await api.orgs.listInvitations({ orgId: org }, { headers: ada.headers })).invitations.map((i) => i.email)).toEqual(["new-hire@example.com"]);
  });

  test("an org queues at most 50 invitation mails an hour, however many invites race for them", async () => {
    const org = await seedOrg(sql, "Mailer", [[ada, "admin"]]);
    const addresses = Array.from({ length: 120 }, (_, n) => `bulk${n}@example.com`);
    const results = await Promise.all(addresses.map((email) => refusal(api.orgs.inviteMember({ orgId: org, email, role: OrgRole.VIEWER }, { headers: ada.headers }))));
    expect(results.filter((r) => r === "ok")).toHaveLength(50);
    expect(new Set(results.filter((r) => r !== "ok"))).toEqual(new Set(["ResourceExhausted: this org has sent 50 invitations in the last hour; wait before sending more"]));
    expect([...(await sql`SELECT count(*)::int AS n FROM invitations WHERE org_id = ${org}`)]).toEqual([{ n: 50 }]);
    expect([...(await sql`SELECT count(*)::int AS n FROM invitation_sends WHERE org_id = ${org}`)]).toEqual([{ n: 50 }]);
    expect((await queuedMail(stack.nats)).filter((job) => /^bulk\d+@example\.com$/.test(job.to))).toHaveLength(50);
    // An hour later the budget is back.
    await sql`UPDATE invitation_sends SET sent_at = sent_at - interval '1 hour' WHERE org_id = ${org}`;
    expect(await refusal(api.orgs.inviteMember({ orgId: org, email: "one-more@example.com", role: OrgRole.VIEWER }, { headers: ada.headers }))).toBe("ok");
  });

  test("one invitation is mailed at most 3 times an hour, by ResendInvite or by inviting the address again", async () => {
    const org = await seedOrg(sql, "Resender", [[ada, "admin"]]);
    const { invitation } = await api.orgs.inviteMember({ orgId: org, email: "flood@example.com", role: OrgRole.MEMBER }, { headers: ada.headers });
    const resend = () => refusal(api.orgs.resendInvite({ orgId: org, invitationId: invitation!.id }, { headers: ada.headers }));
    const results = await Promise.all(Array.from({ length: 100 }, resend));
    const tooMany = "ResourceExhausted: this invitation was sent 3 times in the last hour; wait before sending it again";
    expect(results.filter((r) => r === "ok")).toHaveLength(2);
    expect(new Set(results.filter((r) => r !== "ok"))).toEqual(new Set([tooMany]));
    expect(await refusal(api.orgs.inviteMember({ orgId: org, email: "flood@example.com", role: OrgRole.ADMIN }, { headers: ada.headers }))).toBe(tooMany);

    const mails = await mailFor("flood@example.com");
    expect(mails).toHaveLength(3);
    const row = await invitationRow(invitation!.id);
    // The refused calls changed nothing: the last mail's link works, the role is the first invite's.
    expect(row.role).toBe("member");
    expect(secretTokenHash(tokenOf((mails[2]!.data as { link: string }).link)).equals(row.token_sha256)).toBe(true);
    expect([...(await sql`SELECT count(*)::int AS n FROM invitation_sends WHERE invitation_id = ${invitation!.id}`)]).toEqual([{ n: 3 }]);

    await sql`UPDATE invitation_sends SET sent_at = sent_at - interval '1 hour' WHERE invitation_id = ${invitation!.id}`;
    expect(await resend()).toBe("ok");
    expect(await mailFor("flood@example.com")).toHaveLength(4);
  });
});

describe("an admin demoted while their call waits for the org's rows", () => {
  test("UpdateMemberRole and InviteMember, admitted before the demotion, re-check on the locked rows: no longer an admin, nothing changed", async () => {
    const org = await seedOrg(sql, "Demotion", [[ada, "admin"], [bob, "admin"], [cy, "viewer"]]);
    const asAda = { headers: ada.headers };
    const locker = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      const calls = await locker.begin(async (tx) => {
        const [session] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await tx`SELECT 1 FROM org_members WHERE org_id = ${org} ORDER BY customer_id FOR UPDATE`;
        // The boundary reads Ada's role without a lock and admits both; each then waits for the rows held here.
        const pending = [
          refusal(api.orgs.updateMemberRole({ orgId: org, customerId: cy.id, role: OrgRole.MEMBER }, asAda)),
          refusal(api.orgs.inviteMember({ orgId: org, email: "late@example.com", role: OrgRole.MEMBER }, asAda)),
        ];
        await waitUntilBlockedBy(session!.pid, 2);
        await tx`UPDATE org_members SET role = 'member' WHERE org_id = ${org} AND customer_id = ${ada.id}`;
        return pending;
      });
      const noLonger = "PermissionDenied: you are no longer an admin of this org";
      expect(await Promise.all(calls)).toEqual([noLonger, noLonger]);
    } finally {
      await locker.end();
    }
    expect(await rolesOf(org)).toEqual({ "ada@example.com": "member", "bob@example.com": "admin", "cy@example.com": "viewer" });
    expect([...(await sql`SELECT count(*)::int AS n FROM invitations WHERE org_id = ${org}`)]).toEqual([{ n: 0 }]);
    expect(await mailFor("late@example.com")).toEqual([]);
  });
});

/**
 * Waits until `count` sessions of this database wait for a lock, behind the session `pid` directly or behind another
 * waiter: the second call to reach a row already awaited waits for the first call's tuple lock, not for `pid`'s.
 */
async function waitUntilBlockedBy(pid: number, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> ${pid} AND cardinality(pg_blocking_pids(pid)) > 0`;
    if (row!.n >= count) return;
    if (Date.now() > deadline) throw new Error(`${row!.n} of ${count} calls are waiting for the test's locks after 10 s`);
    await Bun.sleep(20);
  }
}

describe("invitations while NATS is down", () => {
  test("InviteMember answers unavailable and changes nothing", async () => {
    // A second server on the same database whose NATS cannot be reached (a port nothing listens on).
    const port = freePort();
    const server = startPug(["server"], { ...stack.env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${freePort()}`, NATS_URL: `nats://127.0.0.1:${freePort()}` });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      const before = await sql`SELECT count(*)::int AS n FROM invitations`;
      const call = dashboardClients(`http://127.0.0.1:${port}`).orgs.inviteMember({ orgId: orgA, email: "outage@example.com", role: OrgRole.MEMBER }, { headers: ada.headers });
      expect(await refusal(call)).toBe("Unavailable: cannot queue the invitation mail right now; nothing was changed, retry");
      expect(await sql`SELECT count(*)::int AS n FROM invitations`).toEqual(before);
    } finally {
      await server.stop();
    }
  });
});

describe("another org's ids", () => {
  test("an admin of org B cannot touch org A's members or invitations: not found", async () => {
    const { invitation } = await api.orgs.inviteMember({ orgId: orgA, email: "guarded@example.com", role: OrgRole.MEMBER }, { headers: ada.headers });
    const asEve = { headers: eve.headers };
    const cases: [string, () => Promise<unknown>, string][] = [
      ["RemoveMember", () => api.orgs.removeMember({ orgId: orgB, customerId: bob.id }, asEve), "NotFound: no such member in this org"],
      ["UpdateMemberRole", () => api.orgs.updateMemberRole({ orgId: orgB, customerId: bob.id, role: OrgRole.ADMIN }, asEve), "NotFound: no such member in this org"],
      ["ResendInvite", () => api.orgs.resendInvite({ orgId: orgB, invitationId: invitation!.id }, asEve), "NotFound: no such pending invitation in this org"],
      ["RevokeInvite", () => api.orgs.revokeInvite({ orgId: orgB, invitationId: invitation!.id }, asEve), "NotFound: no such pending invitation in this org"],
      ["RemoveMember naming org A", () => api.orgs.removeMember({ orgId: orgA, customerId: bob.id }, asEve), "PermissionDenied: you are not a member of this org"],
    ];
    for (const [name, call, expected] of cases) expect(`${name}: ${await refusal(call())}`).toBe(`${name}: ${expected}`);
    expect((await rolesOf(orgA))["bob@example.com"]).toBe("member");
    expect((await invitationRow(invitation!.id)).revoked_at).toBeNull();
    expect(await mailFor("guarded@example.com")).toHaveLength(1);
  });
});
