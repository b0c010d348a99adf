/**
 * Damaged response-cache entries, made the way a crash, a bit flip or a stray write leaves them on
 * disk: in read-write mode one is counted, dropped and fetched again (and stored afresh); in
 * replay mode it fails naming the request, and the cache is left as it was.
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cacache from "cacache";
import { afterEach, describe, expect, it } from "vitest";
import { ResponseCache } from "../agents/response-cache.js";
import type { EventOf } from "../sim/core/events.js";
import type { Manifest } from "../sim/core/recorder.js";
import {
  listFiles,
  llmWorkspace,
  ofType,
  readEvents,
  readJson,
  runCli,
  stableEvents,
  tempDir,
} from "./support/llm-helpers.js";

const ENTRY = { text: "Answer: 5", tokensIn: 10, tokensOut: 2, finishReason: "stop" };
const KEY = "a".repeat(64);
const ASKER = { agentId: "agent-under-test", purpose: "donation" };

/** SHA-256 of every file under a directory, by path. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((path) => [
      path,
      createHash("sha256").update(readFileSync(path)).digest("hex"),
    ]),
  );
}

/** The content file of a key's entry. */
async function contentFile(dir: string, key: string): Promise<string> {
  const info = await cacache.get.info(dir, key);
  if (!info) throw new Error(`no entry for ${key}`);
  return info.path;
}

/** The index file holding a key's entry line. */
function indexFile(dir: string, key: string): string {
  const found = listFiles(join(dir, "index-v5")).find((path) =>
    readFileSync(path, "utf8").includes(`"key":"${key}"`),
  );
  if (!found) throw new Error(`no index line for ${key}`);
  return found;
}

function flipByte(path: string, at: (length: number) => number): void {
  const bytes = readFileSync(path);
  bytes[at(bytes.length)]! ^= 0x01;
  writeFileSync(path, bytes);
}

/** Ways an entry gets damaged on disk. */
const DAMAGE: Record<string, (dir: string, key: string) => Promise<void>> = {
  "content truncated": async (dir, key) => truncateSync(await contentFile(dir, key), 7),
  "a content byte flipped": async (dir, key) =>
    flipByte(await contentFile(dir, key), (n) => Math.floor(n / 2)),
  "content overwritten with garbage": async (dir, key) =>
    writeFileSync(await contentFile(dir, key), "\u0000\u0000garbage\u0000"),
  "content file deleted": async (dir, key) => rmSync(await contentFile(dir, key)),
  "an index byte flipped": async (dir, key) => {
    // Inside the entry's JSON, past the line's leading hash.
    flipByte(indexFile(dir, key), (n) => n - 20);
  },
  "index line torn": async (dir, key) => {
    const path = indexFile(dir, key);
    truncateSync(path, readFileSync(path).length - 15);
  },
};

const dirs: (() => void)[] = [];
afterEach(() => dirs.splice(0).forEach((cleanup) => cleanup()));
async function damagedCache(damage: (dir: string, key: string) => Promise<void>): Promise<string> {
  const tmp = tempDir("cache-integrity");
  dirs.push(tmp.cleanup);
  await new ResponseCache(tmp.path, "read-write").put(KEY, ENTRY);
  await damage(tmp.path, KEY);
  return tmp.path;
}

describe("a damaged cache entry", () => {
  for (const [name, damage] of Object.entries(DAMAGE)) {
    it(`${name}: read-write counts it, drops it and stores the answer afresh`, async () => {
      const dir = await damagedCache(damage);
      const cache = new ResponseCache(dir, "read-write");
      expect(await cache.get(KEY, ASKER)).toBeUndefined();
      expect({ hits: cache.hits, misses: cache.misses, corrupt: cache.corrupt }).toEqual({
        hits: 0,
        misses: 1,
        corrupt: 1,
      });
      // What the caller does after a miss: the same answer, fetched again, stored.
      await cache.put(KEY, ENTRY);
      const replay = new ResponseCache(dir, "replay");
      expect(await replay.get(KEY, ASKER)).toEqual(ENTRY);
      expect(replay.corrupt).toBe(0);
    });

    it(`${name}: replay fails naming the request and leaves the cache as it was`, async () => {
      const dir = await damagedCache(damage);
      const before = snapshot(dir);
      const replay = new ResponseCache(dir, "replay");
      const error = await replay.get(KEY, ASKER).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(
        new RegExp(`agent agent-under-test, purpose "donation", promptHash ${KEY}.*is damaged`),
      );
      expect(error?.message).not.toMatch(/EINTEGRITY|Unexpected token|no such file/);
      expect(replay.corrupt).toBe(1);
      expect(snapshot(dir)).toEqual(before);
    });
  }
});

describe("a damaged cache entry in a run", () => {
  const workspace = llmWorkspace("cache-integrity-run");
  const ENV = { FAKE_KEY: "sk-cache-integrity" };

  it("fails a replay naming the request, and a read-write run fetches it again and reports it", async () => {
    const { work, configPath, fake, cacheDir } = await workspace.setup({ size: 4 });
    const first = join(work, "first");
    expect((await runCli(["run", configPath, "--out", first], ENV)).code).toBe(0);
    const calls = ofType(readEvents(first), "llm-call");

    // A donation call whose answer no other call shares (content is addressed by its hash).
    const integrityOf = async (call: EventOf<"llm-call">) =>
      (await cacache.get.info(cacheDir, call.promptHash))!.integrity;
    const integrities = await Promise.all(calls.map(integrityOf));
    const victim = calls.find(
      (call, i) =>
        call.purpose === "donation" &&
        integrities.filter((integrity) => integrity === integrities[i]).length === 1,
    )!;
    expect(victim).toBeDefined();
    flipByte(await contentFile(cacheDir, victim.promptHash), (n) => Math.floor(n / 2));

    const cacheBefore = snapshot(cacheDir);
    const replayDir = join(work, "replay");
    const replay = await runCli(["run", configPath, "--cache", "replay", "--out", replayDir], ENV);
    expect(replay.code).toBe(1);
    const named = `agent ${victim.agentId}, purpose "donation", promptHash ${victim.promptHash}`;
    expect(replay.stdout).toContain(named);
    expect(readJson<Manifest>(join(replayDir, "manifest.json")).error).toContain(named);
    expect(snapshot(cacheDir)).toEqual(cacheBefore);

    const requests = fake.requests.length;
    const again = join(work, "again");
    const rerun = await runCli(["run", configPath, "--out", again], ENV);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/1 damaged entry dropped and fetched again/);
    expect(readJson<Manifest>(join(again, "manifest.json")).cache).toMatchObject({
      hits: calls.length - 1,
      misses: 1,
      corrupt: 1,
    });
    expect(fake.requests.length).toBe(requests + 1);

    // The entry was stored afresh: a replay now gives the first run's events.
    const healed = join(work, "healed");
    expect(
      (await runCli(["run", configPath, "--cache", "replay", "--out", healed], ENV)).code,
    ).toBe(0);
    const strip = (dir: string) =>
      stableEvents(readEvents(dir)).map(({ runId: _runId, ...event }) => event);
    expect(strip(healed)).toEqual(strip(first));
  });
});
