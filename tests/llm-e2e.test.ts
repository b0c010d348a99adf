/**
 * A full Donor Game generation of 12 LLM agents through ChatOpenAI against the local fake
 * OpenAI server: parse failures and re-asks, 429/500/timeout/garbled-body retries, accounting,
 * secrets, and an exact replay from the response cache with the server gone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llmCacheKey } from "../agents/mind-runtime.js";
import { type ChatMessage } from "../sim/core/minds.js";
import { profileSchema } from "../sim/core/profile.js";
import { promptName } from "../scenarios/donor-game/prompts.js";
import { donorGame } from "../scenarios/donor-game/scenario.js";
import { agentId } from "../sim/core/ids.js";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import { resumeRun, startRun, type RunResult } from "../sim/app/run.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Reply,
} from "./support/fake-openai.js";
import {
  deterministicScript,
  donationAmount,
  donationView,
  isReask,
  isStrategyRequest,
  listFiles,
  llmConfig,
  ofType,
  readEvents,
  readJson,
  readJsonlStrict,
  runCli,
  stableEvents,
  strategyName,
  sum,
  tempDir,
  usageFor,
  writeConfig,
} from "./support/llm-helpers.js";

const SECRET = "sk-secret-xyz";
const TIMEOUT_MS = 800;
const PRICE = { input: 1, output: 2 };

const NO_LABEL = "I think I will give five units, as my strategy says.";
const WORDS = "Justification: hmm, let me see.\nAnswer: five";
const WORDS_AGAIN = "Justification: fine.\nAnswer: about half of it";

// The agents the failure injections pick. Events carry their ids ("g1-a3"); Donor Game prompts
// name them as the paper's code does ("1_3"), so prompt names are compared through promptName.
const A2 = agentId(1, 2);
const A3 = agentId(1, 3);
const A4 = agentId(1, 4);
const A5 = agentId(1, 5);
const A6 = agentId(1, 6);
const A8 = agentId(1, 8);

const assistantTurns = (req: ChatRequestRecord) =>
  req.messages.filter((m) => m.role === "assistant").length;
const lastAnswer = (req: ChatRequestRecord) =>
  req.messages.findLast((m) => m.role === "assistant")?.content;

/**
 * Failure injections, keyed by what is asked and how often that exact request has been seen,
 * never by timing: the answers an agent finally gets are the same in every run.
 */
function inject(req: ChatRequestRecord, seen: number): Reply | undefined {
  if (isStrategyRequest(req)) {
    // A 200 whose body is not JSON: retried like any transport failure.
    if (strategyName(req) === promptName(A8) && seen === 1)
      return { malformed: '{"id": "chatcmpl-broken", "choices": [' };
    return undefined;
  }
  const view = donationView(req);
  if (!view || view.generation !== 1) return undefined;
  const turn = assistantTurns(req);
  // Unreadable answers (each its own request content, so they reach the cache like good ones).
  if (view.name === promptName(A3) && view.round === 2 && turn === 0)
    return { content: NO_LABEL, usage: usageFor(req, NO_LABEL) };
  if (view.name === promptName(A5) && view.round === 4 && turn === 0)
    return { content: WORDS, usage: usageFor(req, WORDS) };
  if (view.name === promptName(A5) && view.round === 4 && lastAnswer(req) === WORDS)
    return { content: WORDS_AGAIN, usage: usageFor(req, WORDS_AGAIN) };
  // Transport failures, all in round 3 so their waits overlap.
  if (view.round === 3 && turn === 0) {
    if (view.name === promptName(A2) && seen === 1)
      return { status: 429, headers: { "Retry-After": "1" } };
    if (view.name === promptName(A4) && seen <= 2) return { status: 500 };
    if (view.name === promptName(A6) && seen === 1) return { hang: true };
  }
  return undefined;
}

interface Original {
  result: RunResult;
  dir: string;
  cacheDir: string;
  configPath: string;
  work: string;
  requests: ChatRequestRecord[];
  retries: { agentId: string; attempt: number; waitMs: number }[];
  events: AgoraEvent[];
  elapsedMs: number;
}

let fake: FakeOpenAI | undefined;
let tmp: ReturnType<typeof tempDir>;
let original: Original;

beforeAll(async () => {
  tmp = tempDir("e2e");
  fake = await startFakeOpenAI({ script: deterministicScript(inject) });
  try {
    const cacheDir = join(tmp.path, "cache");
    const configPath = writeConfig(
      tmp.path,
      "llm.yaml",
      llmConfig({ baseURL: fake.baseURL, cacheDir, timeoutMs: TIMEOUT_MS, price: PRICE }),
    );
    const dir = join(tmp.path, "original", "run");
    const retries: Original["retries"] = [];
    const started = performance.now();
    const result = await startRun(configPath, {
      out: dir,
      env: { FAKE_KEY: SECRET },
      onRetry: ({ agentId, attempt, waitMs }) => retries.push({ agentId, attempt, waitMs }),
    });
    const elapsedMs = performance.now() - started;
    original = {
      result,
      dir,
      cacheDir,
      configPath,
      work: tmp.path,
      requests: [...fake.requests],
      retries,
      events: readEvents(dir),
      elapsedMs,
    };
  } finally {
    // Everything after this runs with the endpoint gone.
    await fake.close();
  }
}, 60_000);

afterAll(async () => {
  await fake?.close();
  tmp?.cleanup();
});

const llmCalls = (events: readonly AgoraEvent[]) => ofType(events, "llm-call");
const donationCallOf = (
  events: readonly AgoraEvent[],
  agentId: string,
  round: number,
): EventOf<"llm-call">[] =>
  llmCalls(events).filter(
    (e) =>
      e.purpose === "donation" &&
      e.agentId === agentId &&
      e.t.round === round &&
      e.t.generation === 1,
  );
/** The donation requests of agent `id` (named by its prompt name in the prompt). */
const requestsFor = (id: string, round: number, turn = 0) =>
  original.requests.filter((r) => {
    const v = donationView(r);
    return v?.name === promptName(id) && v.round === round && assistantTurns(r) === turn;
  });

describe("one LLM generation against the fake endpoint", () => {
  it("completes a full generation: 12 strategies and 12 rounds x 2 games of donations", () => {
    const { result, events } = original;
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("completed");
    expect(result.manifest.status).toBe("completed");
    expect(result.manifest.generationsCompleted).toBe(1);

    const calls = llmCalls(events);
    const strategies = calls.filter((e) => e.purpose === "strategy");
    expect(strategies.map((e) => e.agentId).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => agentId(1, i + 1)).sort(),
    );
    const donations = ofType(events, "interaction").filter((e) => e.kind === "donation");
    expect(donations).toHaveLength(12 * 12);
    // Every agent donates once per round (in one game or the other).
    for (let round = 1; round <= 12; round++) {
      expect(new Set(donations.filter((e) => e.t.round === round).map((e) => e.from)).size).toBe(
        12,
      );
    }
    // The model's answers became the actions: each donor gave its share of the holdings it was
    // shown.
    for (const d of donations) {
      const shown = Math.round((d.data.donorBefore as number) * 100) / 100;
      const expected = donationAmount({
        name: promptName(d.from),
        generation: 1,
        round: d.t.round!,
        recipient: d.to!,
        holdings: shown,
      });
      expect(d.data.amount, `${d.from} round ${d.t.round}`).toBeCloseTo(expected, 12);
      expect(d.data.fallback).toBe(false);
    }
    // Strategies are the text from "My strategy will be" on.
    for (const created of ofType(events, "agent-created")) {
      expect(created.agent.strategy).toMatch(
        /^My strategy will be to give \d+% of what I hold in every round\.$/,
      );
      expect(created.agent.reasoning).toBe("Generosity tends to be repaid in this game.");
    }
    const last = events.at(-1)!;
    expect(last.type).toBe("run-ended");
    expect(last).toMatchObject({ status: "completed" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  });

  it("records unreadable answers as parse failures and re-asks with the bad answer and the reason", () => {
    const { events, dir } = original;
    const failures = ofType(events, "parse-failure");
    expect(failures.map((f) => [f.agentId, f.t.round, f.attempt])).toEqual([
      [A3, 2, 1],
      [A5, 4, 1],
      [A5, 4, 2],
    ]);
    expect(failures.map((f) => f.answer)).toEqual([NO_LABEL, WORDS, WORDS_AGAIN]);
    expect(failures[0]!.reason).toMatch(/no 'Answer:' label/);
    expect(failures[1]!.reason).toMatch(/no amount in answer "five"/);
    expect(failures[2]!.reason).toMatch(/no amount in answer "about half of it"/);

    // The re-ask carries the conversation so far: the bad answer as the assistant's turn, then the
    // reason.
    const [reask1] = requestsFor(A3, 2, 1);
    expect(reask1).toBeDefined();
    expect(isReask(reask1!)).toBe(true);
    expect(reask1!.messages.slice(2).map((m) => m.role)).toEqual(["assistant", "user"]);
    expect(reask1!.messages[2]!.content).toBe(NO_LABEL);
    expect(
      reask1!.messages[3]!.content.startsWith(
        `Your answer could not be used: ${failures[0]!.reason}.`,
      ),
    ).toBe(true);
    expect(reask1!.messages.slice(0, 2)).toEqual(requestsFor(A3, 2, 0)[0]!.messages);

    // A second re-ask carries the original prompt, the LAST bad answer and its reason only: never
    // the
    // history of every failed attempt, which grows towards the context limit.
    const reasks = requestsFor(A5, 4, 1);
    expect(reasks.map(lastAnswer)).toEqual([WORDS, WORDS_AGAIN]);
    const reask2 = reasks[1]!;
    expect(reask2.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(reask2.messages.slice(0, 2)).toEqual(requestsFor(A5, 4, 0)[0]!.messages);
    expect(
      reask2.messages[3]!.content.startsWith(
        `Your answer could not be used: ${failures[2]!.reason}.`,
      ),
    ).toBe(true);
    expect(reask2.messages[3]!.content).not.toContain(failures[1]!.reason);
    expect(
      ofType(events, "llm-call")
        .filter((c) => c.agentId === A5 && c.t.round === 4 && c.t.generation === 1)
        .map((c) => c.reask),
    ).toEqual([undefined, 1, 2]);

    // After the re-asks the donors acted on their readable answers, not the fallback.
    const acted = ofType(events, "interaction").filter(
      (e) =>
        e.t.generation === 1 &&
        ((e.from === A3 && e.t.round === 2) || (e.from === A5 && e.t.round === 4)),
    );
    expect(acted.map((e) => e.data.fallback)).toEqual([false, false]);
    expect(donationCallOf(events, A5, 4)).toHaveLength(3);

    const [metrics] = readJsonlStrict(join(dir, "metrics.jsonl"));
    expect(metrics).toMatchObject({
      generation: 1,
      parseFailures: failures.length,
      fallbackDecisions: 0,
    });
  });

  it("retries a 429 no sooner than its Retry-After, and retries 500s, a hang past timeoutMs and a garbled body", () => {
    const { events, retries, result } = original;

    const rateLimited = requestsFor(A2, 3);
    expect(rateLimited).toHaveLength(2);
    expect(rateLimited[1]!.receivedAt - rateLimited[0]!.receivedAt).toBeGreaterThanOrEqual(990);
    expect(donationCallOf(events, A2, 3).map((e) => e.attempts)).toEqual([2]);
    expect(retries.filter((r) => r.agentId === A2)).toEqual([
      { agentId: A2, attempt: 1, waitMs: expect.any(Number) },
    ]);
    expect(retries.find((r) => r.agentId === A2)!.waitMs).toBeGreaterThanOrEqual(1000);

    expect(requestsFor(A4, 3)).toHaveLength(3);
    expect(donationCallOf(events, A4, 3).map((e) => e.attempts)).toEqual([3]);

    const hung = requestsFor(A6, 3);
    expect(hung).toHaveLength(2);
    expect(hung[1]!.receivedAt - hung[0]!.receivedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(donationCallOf(events, A6, 3).map((e) => e.attempts)).toEqual([2]);

    const garbled = original.requests.filter(
      (r) => isStrategyRequest(r) && strategyName(r) === promptName(A8),
    );
    expect(garbled).toHaveLength(2);
    expect(
      llmCalls(events).find((e) => e.purpose === "strategy" && e.agentId === A8)!.attempts,
    ).toBe(2);

    // Nothing else was retried, and every retry is counted.
    expect(retries.map((r) => r.agentId).sort()).toEqual([A2, A4, A4, A6, A8]);
    expect(result.manifest.totals.retries).toBe(5);
    expect(original.requests).toHaveLength(llmCalls(events).length + 5);
    expect(llmCalls(events).filter((e) => e.attempts !== 1).length).toBe(4);
    // Round 3 waited at least for the Retry-After (lower bound only).
    expect(original.elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it("llm-call events carry the server's token usage, the priced cost, the prompt hash, profile and model", () => {
    const { events, requests } = original;
    const config = llmConfig({
      baseURL: "http://127.0.0.1:1/v1",
      cacheDir: "unused",
      timeoutMs: TIMEOUT_MS,
      price: PRICE,
    });
    // The config sets no maxTokens: the profile gets the scenario's default.
    const profile = {
      ...profileSchema.parse((config.profiles as Record<string, unknown>).fake),
      maxTokens: donorGame.defaultMaxTokens,
    };
    const calls = llmCalls(events);
    expect(calls).toHaveLength(12 + 144 + 3);
    const SEED = (
      readJson<RunResult["manifest"]>(join(original.dir, "manifest.json")).config as {
        seed: number;
      }
    ).seed;
    // Every request the endpoint saw (retries aside) is one recorded call.
    const contents = (list: readonly { messages?: { role: string; content: string }[] }[]) =>
      new Set(list.map((r) => JSON.stringify(r.messages)));
    expect(contents(requests)).toEqual(contents(calls));
    expect(contents(requests).size).toBe(calls.length);
    for (const req of requests)
      expect(req.body.max_tokens ?? req.body.max_completion_tokens).toBe(512);
    for (const call of calls) {
      expect(call).toMatchObject({ profile: "fake", model: "test-model", cached: false });
      expect(call.messages, "transcripts are on by default").toBeDefined();
      const usage = usageFor({ messages: call.messages! }, call.response!);
      expect([call.tokensIn, call.tokensOut]).toEqual([
        usage.prompt_tokens,
        usage.completion_tokens,
      ]);
      expect(call.cost).toBe(
        (call.tokensIn * PRICE.input + call.tokensOut * PRICE.output) / 1_000_000,
      );
      // The cache address: parameters, who asks where (each agent's call its own sample), messages.
      const identity = {
        runSeed: SEED,
        agentId: call.agentId,
        purpose: call.purpose,
        t: call.t,
        attempt: (call.reask ?? 0) + 1,
      };
      expect(call.promptHash).toBe(llmCacheKey(profile, identity, call.messages as ChatMessage[]));
      expect(call.finishReason).toBe("stop");
      expect(call.latencyMs).toBeGreaterThanOrEqual(0);
    }
    // The estimate (chars / 4) would differ: these are the server's numbers.
    expect(
      calls.some(
        (c) => c.tokensIn !== Math.ceil(c.messages!.reduce((n, m) => n + m.content.length, 0) / 4),
      ),
    ).toBe(true);
    for (const req of requests) expect(req.model).toBe("test-model");
  });

  it("manifest and metrics totals add up the llm-call events", () => {
    const { events, result, dir } = original;
    const calls = llmCalls(events);
    const manifest = readJson<typeof result.manifest>(join(dir, "manifest.json"));
    expect(manifest).toEqual(JSON.parse(JSON.stringify(result.manifest)));
    const { totals } = manifest;
    expect(totals.calls).toBe(calls.length);
    expect(totals.tokensIn).toBe(sum(calls.map((c) => c.tokensIn)));
    expect(totals.tokensOut).toBe(sum(calls.map((c) => c.tokensOut)));
    // Sums are kept on a 1e-9 USD grid (order-independent), so allow a rounding error per call.
    expect(Math.abs(totals.cost! - sum(calls.map((c) => c.cost!)))).toBeLessThanOrEqual(
      calls.length * 5e-10,
    );
    expect(totals.spent).toBeCloseTo(totals.cost!, 12);
    expect(totals.cacheHits).toBe(0);
    expect(totals.unpricedCalls).toBe(0);
    expect(manifest.cache).toMatchObject({
      mode: "read-write",
      dir: original.cacheDir,
      hits: 0,
      misses: calls.length,
    });
    expect(manifest.minds).toEqual([
      expect.objectContaining({ kind: "llm", name: "fake", count: 12, model: "test-model" }),
    ]);

    const [metrics] = readJsonlStrict(join(dir, "metrics.jsonl"));
    expect(metrics).toMatchObject({
      llmCalls: calls.length,
      tokensIn: totals.tokensIn,
      tokensOut: totals.tokensOut,
    });
    expect(metrics!.cost as number).toBeCloseTo(totals.cost!, 12);

    // Per agent: each agents.jsonl row carries that agent's own calls and tokens.
    const rows = readJsonlStrict(join(dir, "agents.jsonl")) as {
      agentId: string;
      llmCalls: number;
      tokensIn: number;
      tokensOut: number;
      cost: number;
    }[];
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      const own = calls.filter((c) => c.agentId === row.agentId);
      expect(own.length).toBeGreaterThan(12);
      expect(row).toMatchObject({
        llmCalls: own.length,
        tokensIn: sum(own.map((c) => c.tokensIn)),
        tokensOut: sum(own.map((c) => c.tokensOut)),
      });
      expect(row.cost).toBeCloseTo(sum(own.map((c) => c.cost!)), 8);
    }
  });

  it("sends the API key to the endpoint and never writes it to the run or cache directory", () => {
    expect(original.requests.length).toBeGreaterThan(0);
    for (const req of original.requests) expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
    const files = [...listFiles(original.dir), ...listFiles(original.cacheDir)];
    expect(files.some((f) => f.includes("index-v5"))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(file).includes(SECRET), file).toBe(false);
  });
});

describe("replay from the response cache, endpoint closed", () => {
  it("replays the run exactly: same events (stable view), metrics and agents; every call a cache hit", async () => {
    const dir = join(original.work, "replay", "run");
    const replay = await startRun(original.configPath, {
      out: dir,
      overrides: { cacheMode: "replay" },
    });
    expect(replay.error).toBeUndefined();
    expect(replay.status).toBe("completed");

    const events = readEvents(dir);
    const calls = llmCalls(events);
    expect(calls.every((c) => c.cached)).toBe(true);
    expect(calls.every((c) => c.attempts === 0)).toBe(true);

    // Cache settings are not part of the experiment: the replay's log equals the original's,
    // run-started and its configHash included, and the manifest says how it was produced.
    expect(stableEvents(events)).toEqual(stableEvents(original.events));
    expect(readJson<RunResult["manifest"]>(join(dir, "manifest.json")).cache.mode).toBe("replay");

    for (const name of ["metrics.jsonl", "agents.jsonl"]) {
      expect(readFileSync(join(dir, name), "utf8"), name).toBe(
        readFileSync(join(original.dir, name), "utf8"),
      );
    }

    const manifest = readJson<RunResult["manifest"]>(join(dir, "manifest.json"));
    expect(manifest.status).toBe("completed");
    expect(manifest.cache).toMatchObject({ mode: "replay", hits: calls.length, misses: 0 });
    expect(manifest.totals).toMatchObject({
      calls: calls.length,
      cacheHits: calls.length,
      spent: 0,
      retries: 0,
    });
    expect(manifest.totals.cost).toBeCloseTo(original.result.manifest.totals.cost!, 12);
  });

  it("the same replay through the CLI's --cache replay also completes with exit code 0", async () => {
    const dir = join(original.work, "replay-cli", "run");
    const out = await runCli([
      "run",
      original.configPath,
      "--out",
      dir,
      "--cache",
      "replay",
      "--quiet",
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /^completed: 1 generation\(s\), 159 LLM call\(s\), cache 159 hit\(s\) \/ 0 miss\(es\)$/m,
    );
    expect(stableEvents(readEvents(dir)).filter((e) => e.type !== "run-started")).toEqual(
      stableEvents(original.events).filter((e) => e.type !== "run-started"),
    );
  });

  it("fails cleanly on an empty cache, keeping what it recorded", async () => {
    const emptyCache = join(original.work, "empty-cache");
    const configPath = writeConfig(
      original.work,
      "empty.yaml",
      llmConfig({ baseURL: "http://127.0.0.1:9/v1", cacheDir: emptyCache, cacheMode: "replay" }),
    );
    const dir = join(original.work, "replay-empty", "run");
    const result = await startRun(configPath, { out: dir });
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/cache/i);
    expect(result.error).toMatch(/replay/);

    const events = readEvents(dir);
    expect(events[0]!.type).toBe("run-started");
    expect(events.at(-1)).toMatchObject({
      type: "run-ended",
      status: "failed",
      error: result.error,
    });
    expect(llmCalls(events)).toHaveLength(0);
    const manifest = readJson<RunResult["manifest"]>(join(dir, "manifest.json"));
    expect(manifest).toMatchObject({
      status: "failed",
      error: result.error,
      generationsCompleted: 0,
    });
    expect(manifest.endedAt).not.toBeNull();
    expect(manifest.cache.misses).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toBe("");
  });

  it("a replay that runs past the cache fails at that point and keeps the generations it completed", async () => {
    // Same calls as the original for generation 1; generation 2's newborns were never asked.
    const configPath = writeConfig(
      original.work,
      "two-gens.yaml",
      llmConfig({
        baseURL: "http://127.0.0.1:9/v1",
        cacheDir: original.cacheDir,
        timeoutMs: TIMEOUT_MS,
        price: PRICE,
        generations: 2,
        cacheMode: "replay",
      }),
    );
    const dir = join(original.work, "replay-partial", "run");
    const result = await startRun(configPath, { out: dir });
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/cache/i);

    const events = readEvents(dir);
    const gen1 = (es: readonly AgoraEvent[]) =>
      stableEvents(
        es.filter(
          (e) =>
            e.t.generation === 1 &&
            !["run-started", "generation-ended", "run-ended"].includes(e.type),
        ),
      );
    expect(gen1(events)).toEqual(gen1(original.events));
    expect(events.at(-1)).toMatchObject({
      type: "run-ended",
      status: "failed",
      t: { generation: 2 },
    });
    expect(readJsonlStrict(join(dir, "metrics.jsonl"))).toEqual(
      readJsonlStrict(join(original.dir, "metrics.jsonl")),
    );
    expect(readJson<{ generation: number }>(join(dir, "checkpoint.json")).generation).toBe(1);
    expect(readJson<RunResult["manifest"]>(join(dir, "manifest.json"))).toMatchObject({
      status: "failed",
      generationsCompleted: 1,
    });

    // And the failed run can be resumed later: with no endpoint it fails again at the same point.
    const again = await resumeRun(dir);
    expect(again.status).toBe("failed");
    expect(again.manifest.resumes).toEqual([expect.objectContaining({ fromGeneration: 2 })]);
    expect(gen1(readEvents(dir))).toEqual(gen1(original.events));
  });
});
