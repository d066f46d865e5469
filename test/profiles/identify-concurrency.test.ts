// Identity under pressure: many calls for one person at once, and the worker killed (SIGKILL) while it merges.
// Postgres must end consistent and the ClickHouse mirror equal to it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../src/infra/postgres.ts";
import type { IngestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { expectMirrorEqualsPostgres, identify, mirrorFinal, pgAliases, pgProfiles, profilesCommitted, profilesDrained, type ProfileStack, profileStack, startProfileWorker } from "../support/profile-stack.ts";

let profile: ProfileStack;
let stack: IngestStack;
let sql: Sql;

beforeAll(async () => {
  profile = await profileStack("identify_load");
  ({ stack, sql } = profile);
}, 60_000);

afterAll(() => profile?.stop());

/** Runs `count` tasks, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}


/** Identity invariants that must hold whatever happened: one live profile per external id, aliases on live people. */
async function expectConsistent(): Promise<void> {
  const profiles = await pgProfiles(sql, stack.projectId);
  const liveIds = profiles.filter((p) => p.deleted_at === null).map((p) => p.external_id);
  expect(new Set(liveIds).size).toBe(liveIds.length);
  const byId = new Map(profiles.map((p) => [p.id, p]));
  const aliases = await pgAliases(sql, stack.projectId);
  expect(aliases.filter((a) => byId.get(a.profile_id)?.deleted_at !== null).map((a) => a.alias_id)).toEqual([]);
  const aliased = new Set(aliases.map((a) => a.alias_id));
  expect(liveIds.filter((id) => aliased.has(id))).toEqual([]);
}

test("100 concurrent identify calls for one person from 100 anonymous ids: one live profile with all 100 aliases", async () => {
  const anonymous = Array.from({ length: 100 }, (_, i) => `anon-crowd-${i}`);
  await inParallel(100, 20, (i) => identify(stack, { externalId: anonymous[i]!, traits: { [`seen_${i}`]: i, plan: "free" } }));
  await profilesDrained(stack);
  await Promise.all(anonymous.map((anonymousId, i) => identify(stack, { externalId: "crowd-user", anonymousId, traits: { plan: "pro", [`call_${i}`]: true } })));
  await profilesDrained(stack);

  const profiles = await pgProfiles(sql, stack.projectId);
  const live = profiles.filter((p) => p.deleted_at === null);
  expect(live.map((p) => p.external_id)).toEqual(["crowd-user"]);
  const person = live[0]!;
  const aliases = await pgAliases(sql, stack.projectId);
  expect(aliases.map((a) => a.alias_id).sort()).toEqual([...anonymous].sort());
  expect(new Set(aliases.map((a) => a.profile_id))).toEqual(new Set([person.id]));
  // Every anonymous profile merged into the person, its traits kept where the person lacked them.
  expect(profiles.filter((p) => p.deleted_at !== null && p.merged_into === person.id)).toHaveLength(100);
  expect(person.traits.plan).toBe("pro");
  for (let i = 0; i < 100; i++) {
    expect(person.traits[`seen_${i}`]).toBe(i);
    expect(person.traits[`call_${i}`]).toBe(true);
  }
  await expectConsistent();
  await expectMirrorEqualsPostgres(profile);
  expect(await mirrorFinal(stack)).toEqual({ profiles: ["crowd-user"], aliases: [...anonymous].sort() });
}, 120_000);

test("kill -9 of the worker during a burst of merges, then a restart: consistent, every merge done once, the mirror equal to Postgres", async () => {
  // A backlog queued while the worker is stopped, so it is killed while it works through the merges.
  await profile.worker.stop();
  const people = 1000;
  await inParallel(people, 20, (i) => identify(stack, { externalId: `anon-burst-${i}`, traits: { first_page: `/p/${i}`, plan: "free" } }));
  await inParallel(people, 20, (i) => identify(stack, { externalId: `burst-${i}`, anonymousId: `anon-burst-${i}`, traits: { plan: "pro" } }));
  const last = (await stack.nats.jsm.streams.info(stack.nats.names.stream("profiles"))).state.last_seq;
  profile.worker = await startProfileWorker(stack, {}, false);
  let kills = 0;
  for (let kill = 0; kill < 4; kill++) {
    const committed = await profilesCommitted(sql, stack);
    await waitFor("the profile writer to make progress", async () => (await profilesCommitted(sql, stack)) > committed, 30_000);
    if ((await profilesCommitted(sql, stack)) >= last) break;
    await Bun.sleep(Math.floor(Math.random() * 50));
    profile.worker.proc.kill("SIGKILL");
    await profile.worker.proc.exited;
    kills++;
    profile.worker = await startProfileWorker(stack, {}, false);
  }
  expect(kills).toBeGreaterThanOrEqual(2);
  await profilesDrained(stack, 60_000);

  await expectConsistent();
  const profiles = await pgProfiles(sql, stack.projectId);
  const aliases = new Map((await pgAliases(sql, stack.projectId)).map((a) => [a.alias_id, a.profile_id]));
  for (let i = 0; i < people; i++) {
    const person = profiles.find((p) => p.external_id === `burst-${i}` && p.deleted_at === null);
    expect(person?.traits).toEqual({ plan: "pro", first_page: `/p/${i}` });
    expect(aliases.get(`anon-burst-${i}`)).toBe(person!.id);
    // The writer applies several calls at once, so the link may be applied before the anonymous id's own
    // identify: that call then goes to the person (its traits where the person lacks them) and no anonymous profile
    // is created. Either way never a live one, and never more than one merged.
    const merged = profiles.filter((p) => p.external_id === `anon-burst-${i}`);
    expect(merged.length).toBeLessThanOrEqual(1);
    for (const anonymous of merged) expect([anonymous.deleted_at !== null, anonymous.merged_into]).toEqual([true, person!.id]);
  }
  await expectMirrorEqualsPostgres(profile, 30_000);
}, 180_000);
