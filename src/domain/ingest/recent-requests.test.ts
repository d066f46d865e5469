import { describe, expect, test } from "bun:test";
import { type RequestKey, RecentRequests, requestKey } from "./recent-requests.ts";

/** What the events worker does with a request: drop it as a repeat, or store it. */
const seen = (recent: RecentRequests, key: RequestKey, seq: number, now: number): boolean => {
  if (recent.repeated(key, seq, now)) return true;
  recent.stored(key, seq, now);
  return false;
};

const project = "7f8e1c1a-0000-4000-8000-000000000001";
const ids = (n: number, prefix = "e") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("requestKey", () => {
  test("the same project and event ids in the same order, the same key; the case of an id does not matter", () => {
    expect(requestKey(project, ["A-1", "b-2"])).toEqual(requestKey(project, ["a-1", "B-2"]));
    expect(requestKey(project, ["a-1", "b-2"])).not.toEqual(requestKey(project, ["b-2", "a-1"]));
    expect(requestKey(project, ["a-1"])).not.toEqual(requestKey("another-project", ["a-1"]));
    expect(requestKey(project, ["a-1", "b-2"])).not.toEqual(requestKey(project, ["a-1"]));
    expect(requestKey(project, ["a-1"], "events#1")).toEqual(requestKey(project, ["A-1"], "events#1"));
    expect(requestKey(project, ["a-1"], "events#1")).not.toEqual(requestKey(project, ["a-1"], "events#2"));
  });
});

describe("RecentRequests", () => {
  test("a request stored by an earlier message is a repeat in a later one; the same message converted again is not", () => {
    const recent = new RecentRequests(120_000, 100);
    const key = requestKey(project, ids(3));
    expect(seen(recent, key, 10, 0)).toBe(false);
    expect(seen(recent, key, 10, 5)).toBe(false);
    expect(seen(recent, key, 14, 10)).toBe(true);
    expect(seen(recent, requestKey(project, ids(3, "other")), 14, 10)).toBe(false);
  });

  test("read out of order (a gap read directly), the earlier message keeps the request and the later one repeats it", () => {
    const recent = new RecentRequests(120_000, 100);
    const key = requestKey(project, ids(2));
    expect(seen(recent, key, 20, 0)).toBe(false);
    expect(seen(recent, key, 12, 1)).toBe(false);
    expect(seen(recent, key, 20, 2)).toBe(true);
  });

  test("a request is forgotten after the window, and the oldest first when the capacity is reached", () => {
    const recent = new RecentRequests(1_000, 3);
    const keys = [0, 1, 2, 3].map((i) => requestKey(project, [`id-${i}`]));
    expect(seen(recent, keys[0]!, 1, 0)).toBe(false);
    expect(seen(recent, keys[0]!, 2, 999)).toBe(true);
    expect(seen(recent, keys[0]!, 3, 1_000)).toBe(false);
    for (const [i, key] of keys.slice(1).entries()) seen(recent, key, 10 + i, 1_001);
    expect(recent.size).toBe(3);
    expect(seen(recent, keys[0]!, 20, 1_002)).toBe(false);
    expect(seen(recent, keys[3]!, 21, 1_002)).toBe(true);
  });

  test("a request not stored (dead-lettered whole) is no repeat when it comes again", () => {
    const recent = new RecentRequests(120_000, 10);
    const key = requestKey(project, ids(2));
    expect(recent.repeated(key, 1, 0)).toBe(false);
    expect(recent.repeated(key, 2, 0)).toBe(false);
    recent.stored(key, 2, 0);
    expect(recent.repeated(key, 3, 0)).toBe(true);
  });

  test("a request forgotten (its message dead-lettered whole) is no repeat; forgetting another message's changes nothing", () => {
    const recent = new RecentRequests(120_000, 10);
    const key = requestKey(project, ids(2));
    recent.stored(key, 5, 0);
    recent.forget(key, 4);
    expect(recent.repeated(key, 9, 0)).toBe(true);
    recent.forget(key, 5);
    expect(recent.repeated(key, 9, 0)).toBe(false);
    recent.stored(key, 9, 0);
    expect(recent.repeated(key, 10, 0)).toBe(true);
  });

  test("a key equal in its first hash but not its second is another request", () => {
    const recent = new RecentRequests(120_000, 10);
    const key = requestKey(project, ids(1));
    expect(seen(recent, key, 1, 0)).toBe(false);
    expect(seen(recent, { key: key.key, check: key.check + 1 }, 2, 0)).toBe(false);
    expect(seen(recent, { key: key.key, check: key.check + 1 }, 3, 0)).toBe(true);
  });

  test("many requests within the capacity are all remembered", () => {
    const recent = new RecentRequests(120_000, 50_000);
    const keys = Array.from({ length: 50_000 }, (_, i) => requestKey(project, [`req-${i}`]));
    for (const [i, key] of keys.entries()) expect(seen(recent, key, i + 1, i / 1000)).toBe(false);
    expect(keys.filter((key, i) => seen(recent, key, 100_000 + i, 60_000)).length).toBe(50_000);
  });
});
