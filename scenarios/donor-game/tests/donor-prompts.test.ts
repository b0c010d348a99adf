/**
 * What LLM donors and strategists actually receive, asserted on the requests the local endpoint
 * saw:
 * profile parameters, the survivors' advice (with or without scores), revising survivors, the
 * recipient's visible trace, and that policy minds never reach the endpoint.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventOf } from "../../../sim/core/events.js";
import { startRun } from "../../../sim/app/run.js";
import { promptName } from "../prompts.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
} from "../../../tests/support/fake-openai.js";
import {
  deterministicScript,
  isStrategyRequest,
  llmConfig,
  ofType,
  readEvents,
  readJsonlStrict,
  strategyName,
  tempDir,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

let fake: FakeOpenAI;
let tmp: ReturnType<typeof tempDir>;
const env = { FAKE_KEY: "sk-prompts" };

beforeAll(async () => {
  tmp = tempDir("prompts");
  fake = await startFakeOpenAI({ script: deterministicScript() });
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

async function run(
  name: string,
  extra: Record<string, unknown>,
  profileExtra: Record<string, unknown> = {},
) {
  const base = llmConfig({
    baseURL: fake.baseURL,
    cacheDir: join(tmp.path, name, "cache"),
    generations: 2,
    cacheMode: "off",
    extra,
  });
  const profiles = base.profiles as { fake: Record<string, unknown> };
  Object.assign(profiles.fake, profileExtra);
  const from = fake.requests.length;
  const dir = join(tmp.path, name, "run");
  const result = await startRun(writeConfig(join(tmp.path, name), "config.yaml", base), {
    out: dir,
    env,
  });
  expect(result.error).toBeUndefined();
  return { dir, requests: fake.requests.slice(from), events: readEvents(dir) };
}

const userText = (req: ChatRequestRecord) =>
  req.messages
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");

describe("strategy prompts across generations", () => {
  it("newborns see every survivor's strategy with its score (under adviceSample); generation 1 sees none", async () => {
    const { requests, dir } = await run("scores", {});
    const strategyRequests = requests.filter(isStrategyRequest);
    const gen1 = strategyRequests.filter((r) => strategyName(r).startsWith("1_"));
    const gen2 = strategyRequests.filter((r) => strategyName(r).startsWith("2_"));
    expect(gen1).toHaveLength(12);
    expect(gen2).toHaveLength(6);
    for (const r of gen1) expect(userText(r)).not.toContain("Score");

    const rows = readJsonlStrict<{
      generation: number;
      agentId: string;
      survived: boolean;
      score: number;
      strategy: string;
    }>(join(dir, "agents.jsonl"));
    const survivors = rows.filter((r) => r.generation === 1 && r.survived);
    expect(survivors).toHaveLength(6);
    for (const r of gen2) {
      const text = userText(r);
      for (const s of survivors)
        expect(text).toContain(`Score ${Math.round(s.score * 100) / 100}: ${s.strategy}`);
      // Removed agents' strategies are not passed on.
      for (const gone of rows.filter((x) => x.generation === 1 && !x.survived))
        expect(text).not.toContain(`${promptName(gone.agentId)} `);
    }
  });

  it("adviceSample bounds the advice: each newborn sees its own seeded sample, in ranking order", async () => {
    const sampled = await run("sample", { donorGame: { adviceSample: 2 } });
    const again = await run("sample-again", { donorGame: { adviceSample: 2 } });
    const gen2 = (requests: ChatRequestRecord[]) =>
      requests.filter(isStrategyRequest).filter((r) => strategyName(r).startsWith("2_"));
    expect(gen2(sampled.requests)).toHaveLength(6);
    const ranked = readJsonlStrict<{ generation: number; survived: boolean; strategy: string }>(
      join(sampled.dir, "agents.jsonl"),
    )
      .filter((r) => r.generation === 1 && r.survived)
      .map((r) => r.strategy);
    const shown = gen2(sampled.requests).map((r) => {
      const text = userText(r);
      expect(text).toContain("(2 of their 6 strategies, drawn at random)");
      const lines = text.split("\n").filter((line) => line.startsWith("- Score "));
      expect(lines).toHaveLength(2);
      const indices = lines.map((line) => ranked.findIndex((s) => line.endsWith(`: ${s}`)));
      expect(indices.every((i) => i >= 0)).toBe(true);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      return indices.join(",");
    });
    // Samples differ between newborns, and a run with the same seed draws the same ones.
    expect(new Set(shown).size).toBeGreaterThan(1);
    expect(gen2(again.requests).map(userText)).toEqual(gen2(sampled.requests).map(userText));
  });

  it("showScores: false passes the strategies without scores", async () => {
    const { requests } = await run("no-scores", { donorGame: { showScores: false } });
    const gen2 = requests.filter(isStrategyRequest).filter((r) => strategyName(r).startsWith("2_"));
    expect(gen2).toHaveLength(6);
    for (const r of gen2) {
      expect(userText(r)).not.toContain("Score");
      expect(userText(r)).toContain("- My strategy will be");
    }
  });

  it("survivorsRevise: survivors write a new strategy too, recorded as strategy-revised", async () => {
    const { requests, events } = await run("revise", { donorGame: { survivorsRevise: true } });
    const gen2Step = ofType(events, "generation-ended")[0]!;
    const survivorNames = gen2Step.survivors.map(promptName);
    const revisedRequests = requests
      .filter(isStrategyRequest)
      .filter((r) => survivorNames.includes(strategyName(r)));
    // Each survivor is asked twice: once as a newborn of generation 1, once to revise.
    expect(revisedRequests).toHaveLength(12);
    const revised = events.filter(
      (e): e is EventOf<"interaction"> => e.type === "interaction" && e.kind === "strategy-revised",
    );
    expect(revised.map((e) => e.from).sort()).toEqual([...gen2Step.survivors].sort());
    expect(revised.every((e) => e.t.generation === 2)).toBe(true);
  });
});

describe("donation prompts", () => {
  it("show the recipient's last actions newest first, at most traceDepth of them", async () => {
    const { requests, events } = await run("trace", {
      generations: 1,
      donorGame: { traceDepth: 2 },
    });
    const donations = ofType(events, "interaction").filter(
      (e) => e.kind === "donation" && e.t.game === 1,
    );
    // Round 4 of game 1: the recipient's visible trace is its own round-3 act, then its partner's
    // round-2 act.
    const round4 = donations.filter((e) => e.t.round === 4);
    expect(round4.length).toBeGreaterThan(0);
    for (const act of round4) {
      // Events carry ids ("g1-a3"); the prompt names agents as the paper's code does ("1_3").
      const recipient = promptName(act.to!);
      const own = donations.find((e) => e.t.round === 3 && e.from === act.to)!;
      const prompt = requests
        .map(userText)
        .find(
          (t) =>
            t.includes(`Your name is ${promptName(act.from)}.`) &&
            t.includes("round 4.") &&
            t.includes(`paired with ${recipient},`),
        )!;
      const first = prompt.indexOf(`In round 3, ${recipient} gave`);
      const second = prompt.indexOf(`In round 2, ${promptName(own.to!)} gave`);
      expect(first).toBeGreaterThan(-1);
      expect(second).toBeGreaterThan(first);
      expect(prompt).not.toContain("In round 1,");
    }
  });

  it("profile parameters reach the endpoint; policy minds never do", async () => {
    const { requests, events } = await run(
      "params",
      {
        generations: 1,
        population: {
          size: 12,
          minds: [
            { count: 6, profile: "fake" },
            { count: 6, policy: "constant", fraction: 0.5 },
          ],
        },
      },
      { temperature: 0.3, maxTokens: 77, seed: 42 },
    );
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.body).toMatchObject({
        model: "test-model",
        temperature: 0.3,
        seed: expect.any(Number),
      });
      expect(r.body.max_tokens ?? r.body.max_completion_tokens).toBe(77);
    }
    // The profile's seed is not sent as is: each call sends one derived from it and the call's
    // identity, so agents sample apart (and the llm-call event records the seed sent).
    const sent = requests.map((r) => r.body.seed as number);
    expect(new Set(sent).size).toBe(requests.length);
    expect(
      ofType(events, "llm-call")
        .map((c) => c.seed)
        .sort(),
    ).toEqual([...sent].sort());
    const policyAgents = new Set(
      ofType(events, "agent-created")
        .filter((e) => e.agent.mind.kind === "policy")
        .map((e) => e.agent.id),
    );
    expect(policyAgents.size).toBe(6);
    for (const r of requests)
      for (const id of policyAgents)
        expect(userText(r)).not.toContain(`Your name is ${promptName(id)}.`);
    expect(ofType(events, "llm-call").every((c) => !policyAgents.has(c.agentId))).toBe(true);
  });

  it("a profile without a price records tokens and a null cost", async () => {
    const { events } = await run("unpriced", { generations: 1 }, { price: undefined });
    const calls = ofType(events, "llm-call");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.cost === null && c.tokensIn > 0)).toBe(true);
    const [metrics] = readJsonlStrict<{ cost: number | null; tokensIn: number }>(
      join(tmp.path, "unpriced", "run", "metrics.jsonl"),
    );
    expect(metrics).toMatchObject({ cost: null });
    expect(metrics!.tokensIn).toBeGreaterThan(0);
  });
});
