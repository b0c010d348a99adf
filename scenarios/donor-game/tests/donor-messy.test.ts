/**
 * The Donor Game against models that answer badly, as small models behind real inference servers
 * do (the fake server's messyScript and contextExceeded), through the CLI: rambling without labels,
 * prompts over the context window, answers that never stop, answers that differ for the same
 * prompt (replayed exactly from the cache with the server closed), and structured JSON answers.
 * Whatever cannot be used is counted and falls back; none of it becomes a donation or a strategy.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgoraEvent } from "../../../sim/core/events.js";
import { promptName } from "../prompts.js";
import { interactions, type AgentRow } from "../../../tests/support/donor-helpers.js";
import {
  contextExceeded,
  messyScript,
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Script,
} from "../../../tests/support/fake-openai.js";
import {
  donationView,
  goodReply,
  isReask,
  isStrategyRequest,
  llmConfig,
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  stableEvents,
  strategyName,
  sum,
  tempDir,
  usageFor,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-messy" };
/** Small runs: 4 agents, 2 rounds of 2 games (8 decisions a generation), 2 re-asks. */
const PARSE_RETRIES = 2;
const ATTEMPTS = PARSE_RETRIES + 1;
const GAME = { rounds: 2, parseRetries: PARSE_RETRIES };

let fake: FakeOpenAI;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  tmp = tempDir("messy");
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

interface MessyRun {
  code: number | null;
  /** The summary; `stderr` has the progress lines. */
  stdout: string;
  stderr: string;
  dir: string;
  configPath: string;
  requests: ChatRequestRecord[];
  events: AgoraEvent[];
  metrics: Record<string, unknown>[];
  agents: AgentRow[];
}

interface RunOptions {
  generations?: number;
  size?: number;
  profile?: Record<string, unknown>;
  donorGame?: Record<string, unknown>;
  server?: FakeOpenAI;
}

/** Writes a 4-agent LLM config for `name` against the server and runs it through the CLI. */
async function run(name: string, script: Script, o: RunOptions = {}): Promise<MessyRun> {
  const server = o.server ?? fake;
  server.setScript(script);
  const config = llmConfig({
    baseURL: server.baseURL,
    cacheDir: join(tmp.path, name, "cache"),
    size: o.size ?? 4,
    generations: o.generations ?? 1,
    extra: { donorGame: { ...GAME, ...o.donorGame } },
  });
  Object.assign((config.profiles as { fake: Record<string, unknown> }).fake, o.profile);
  const configPath = writeConfig(join(tmp.path, name), "config.yaml", config);
  return runConfig(configPath, join(tmp.path, name, "run"), server);
}

async function runConfig(
  configPath: string,
  dir: string,
  server: FakeOpenAI,
  args: string[] = [],
): Promise<MessyRun> {
  const from = server.requests.length;
  const out = await runCli(["run", configPath, "--out", dir, ...args], ENV);
  // stderr carries the progress lines; no error among them.
  expect(out.stderr).not.toMatch(/^(config )?error: /m);
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: out.stderr,
    dir,
    configPath,
    requests: server.requests.slice(from),
    events: readEvents(dir),
    metrics: readJsonlStrict(join(dir, "metrics.jsonl")),
    agents: readJsonlStrict<AgentRow>(join(dir, "agents.jsonl")),
  };
}

const llmCalls = (events: readonly AgoraEvent[]) => ofType(events, "llm-call");
const donations = (events: readonly AgoraEvent[]) => interactions(events);
const roles = (req: ChatRequestRecord) => req.messages.map((m) => m.role);
const userPrompt = (req: ChatRequestRecord) => req.messages.find((m) => m.role === "user")!.content;

/**
 * A good answer to strategy prompts (so the game is played), and `donation` to donation prompts.
 */
function strategiesGood(donation: Script): Script {
  return (req, index) => (donationView(req) ? donation(req, index) : goodReply(req));
}

describe("a rambling model (no label, ever)", () => {
  let ramble: MessyRun;
  beforeAll(async () => {
    ramble = await run("rambling", messyScript({ seed: 11, mode: "rambling" }), { generations: 2 });
  }, 60_000);

  it("completes, and every donation is a fallback counted exactly", () => {
    expect(ramble.code).toBe(0);
    for (const generation of [1, 2]) {
      const acts = donations(ramble.events).filter((d) => d.generation === generation);
      expect(acts).toHaveLength(8);
      expect(acts.every((d) => d.data.fallback && d.data.amount === 0)).toBe(true);
      const row = ramble.metrics[generation - 1]!;
      expect(row).toMatchObject({
        fallbackDecisions: acts.length,
        parseFailures: acts.length * ATTEMPTS,
      });
      // No decision was a model's choice: nothing to average, and the count says what was left out.
      expect(row.avgDonationFraction).toBeNull();
      expect(row.punishmentRate).toBeNull();
      const failures = ofType(ramble.events, "parse-failure").filter(
        (f) => f.purpose === "donation" && f.t.generation === generation,
      );
      expect(failures).toHaveLength(acts.length * ATTEMPTS);
      expect(failures.every((f) => /^no 'Answer:' label/.test(f.reason))).toBe(true);
    }
    for (const round of ofType(ramble.events, "metric").filter((m) => m.scope === "round")) {
      expect(round.values).toMatchObject({ avgDonationFraction: null, fallbackDecisions: 2 });
    }
  });

  it("counts unusable strategies, records none of the rambling as a strategy, and re-asks them", () => {
    // Generation 1: all four; generation 2: the two newborns (survivors keep having none).
    expect(ramble.metrics.map((m) => [m.strategyParseFailures, m.strategyFallbacks])).toEqual([
      [4 * ATTEMPTS, 4],
      [2 * ATTEMPTS, 2],
    ]);
    const created = ofType(ramble.events, "agent-created");
    expect(created).toHaveLength(6);
    for (const e of created) {
      expect(e.agent.strategy).toBeNull();
      expect((e.agent as { strategyUnusable?: string }).strategyUnusable).toMatch(
        /^no 'My strategy will be' in response "/,
      );
    }
    expect(ramble.agents).toHaveLength(8);
    for (const row of ramble.agents)
      expect(row).toMatchObject({
        strategy: null,
        strategyUnusable: expect.stringMatching(/^no 'My strategy will be'/),
      });
    const failures = ofType(ramble.events, "parse-failure").filter((f) => f.purpose === "strategy");
    expect(failures.map((f) => f.attempt).sort()).toEqual(
      Array.from({ length: 6 }, () => [1, 2, 3])
        .flat()
        .sort(),
    );
  });

  it("every re-ask is the original prompt, the last failed answer and the reason: 4 messages", () => {
    const reasks = ramble.requests.filter(isReask);
    const decisions = donations(ramble.events).length;
    expect(reasks).toHaveLength((decisions + 6) * PARSE_RETRIES);
    const failures = ofType(ramble.events, "parse-failure");
    for (const req of reasks) {
      expect(roles(req)).toEqual(["system", "user", "assistant", "user"]);
      // The assistant turn is one failed answer, and the re-ask gives its reason.
      const failed = failures.find((f) => f.answer === req.messages[2]!.content);
      expect(failed).toBeDefined();
      expect(
        req.messages[3]!.content.startsWith(`Your answer could not be used: ${failed!.reason}.`),
      ).toBe(true);
    }
    // Each call is asked as its own attempt (part of its identity), and the event says which
    // re-ask.
    expect(
      llmCalls(ramble.events)
        .map((c) => c.reask ?? 0)
        .filter((n) => n > 0),
    ).toHaveLength(reasks.length);
  });

  it("donation prompts say plainly that the agent stated no usable strategy; newborns get no rambling as advice", () => {
    const prompts = ramble.requests.filter((r) => donationView(r) && !isReask(r)).map(userPrompt);
    expect(prompts).toHaveLength(16);
    for (const prompt of prompts) {
      expect(prompt).toContain("You stated no usable strategy, so there is no strategy to recall.");
      expect(prompt).not.toContain("Recall the strategy");
    }
    // No survivor stated a usable strategy: the newborns are asked as in generation 1, without
    // advice.
    const newborns = ramble.requests.filter(
      (r) => isStrategyRequest(r) && strategyName(r).startsWith("2_"),
    );
    expect(newborns).toHaveLength(2);
    for (const req of newborns) expect(userPrompt(req)).not.toContain("advice");
  });

  it("names the unusable counts in the progress line and the summary", () => {
    const [g1, g2] = ramble.metrics;
    const total = (key: string) => (g1![key] as number) + (g2![key] as number);
    expect(ramble.stderr).toMatch(
      new RegExp(
        `^generation 1/2 done: .* · unusable: parseFailures=${g1!.parseFailures as number} fallbackDecisions=8 strategyParseFailures=12 strategyFallbacks=4`,
        "m",
      ),
    );
    expect(ramble.stdout).toContain(
      `unusable: parseFailures=${total("parseFailures")} fallbackDecisions=16 strategyParseFailures=18 strategyFallbacks=6`,
    );
  });
});

describe("usable strategies only", () => {
  it("advice holds only the survivors' usable strategies; an agent without one is told so", async () => {
    // Odd-numbered agents state a strategy, even-numbered ones ramble; everyone donates well.
    const rambling = messyScript({ seed: 12, mode: "rambling" });
    const script: Script = (req, index) => {
      if (isStrategyRequest(req) && Number(strategyName(req).split("_")[1]) % 2 === 0)
        return rambling(req, index);
      if (isReask(req) && !donationView(req)) return rambling(req, index);
      return goodReply(req);
    };
    const r = await run("advice", script, { generations: 2, size: 8, donorGame: { rounds: 4 } });
    expect(r.code).toBe(0);
    const gen1 = r.agents.filter((a) => a.generation === 1);
    const survivors = gen1.filter((a) => a.survived);
    const usable = survivors.filter((a) => a.strategy !== null);
    // The seed gives survivors of both kinds, so something is left out of the advice.
    expect(usable.length).toBeGreaterThan(0);
    expect(usable.length).toBeLessThan(survivors.length);
    const rambled = ofType(r.events, "parse-failure")
      .filter((f) => f.purpose === "strategy")
      .map((f) => f.answer);
    const newborns = r.requests.filter(
      (req) => isStrategyRequest(req) && strategyName(req).startsWith("2_"),
    );
    expect(newborns.length).toBeGreaterThan(0);
    for (const req of newborns) {
      const prompt = userPrompt(req);
      expect(prompt.match(/^- Score /gm)).toHaveLength(usable.length);
      for (const a of usable) expect(prompt).toContain(`: ${a.strategy}`);
      for (const text of rambled) expect(prompt).not.toContain(text);
    }
    // Generation 1's donation prompts: a recalled strategy, or the plain statement that there is
    // none.
    for (const req of r.requests.filter((q) => donationView(q)?.generation === 1 && !isReask(q))) {
      const { name } = donationView(req)!;
      // The prompt names the agent as the paper's code does ("1_3" for g1-a3).
      const has = gen1.find((a) => promptName(a.agentId) === name)!.strategy;
      expect(userPrompt(req)).toContain(
        has === null
          ? "You stated no usable strategy"
          : `Recall the strategy you chose to follow: ${has}`,
      );
    }
  }, 60_000);
});

describe("a prompt over the model's context", () => {
  it("is a failed answer, not a failed run: counted, recorded, never re-asked", async () => {
    const r = await run(
      "overflow",
      strategiesGood(() => contextExceeded("llama.cpp")),
    );
    expect(r.code).toBe(0);
    const acts = donations(r.events);
    expect(acts).toHaveLength(8);
    expect(acts.every((d) => d.data.fallback)).toBe(true);

    const refused = llmCalls(r.events).filter((c) => c.purpose === "donation");
    expect(refused).toHaveLength(acts.length);
    for (const call of refused) {
      expect(call.failure).toMatchObject({
        kind: "context-exceeded",
        sent: true,
        message: expect.stringContaining("exceeds the available context size"),
      });
      expect(call.reask).toBeUndefined();
    }
    // Sent once each: a 400 is not retried, and the same prompt is not re-asked.
    const donationRequests = r.requests.filter((q) => donationView(q));
    expect(donationRequests).toHaveLength(acts.length);
    expect(r.requests.some(isReask)).toBe(false);

    const failures = ofType(r.events, "parse-failure");
    expect(failures).toHaveLength(acts.length);
    expect(
      failures.every((f) => f.reason === "context exceeded" && f.answer === "" && f.attempt === 1),
    ).toBe(true);
    expect(r.metrics[0]).toMatchObject({
      llmContextExceeded: acts.length,
      parseFailures: acts.length,
      fallbackDecisions: acts.length,
      avgDonationFraction: null,
      strategyFallbacks: 0,
    });
    expect(r.stdout).toContain(
      `unusable: parseFailures=8 fallbackDecisions=8 llmContextExceeded=8`,
    );
  }, 60_000);
});

describe("a model that never stops, with maxTokens unset", () => {
  it("is bounded by the scenario's default, and every cut answer is counted", async () => {
    const r = await run("never-stop", messyScript({ seed: 13, mode: "never-stop" }));
    expect(r.code).toBe(0);
    expect(r.requests.length).toBeGreaterThan(0);
    for (const req of r.requests)
      expect(req.body.max_tokens ?? req.body.max_completion_tokens).toBe(512);
    const calls = llmCalls(r.events);
    expect(calls.length).toBe(r.requests.length);
    expect(calls.every((c) => c.finishReason === "length" && c.tokensOut === 512)).toBe(true);
    expect(r.metrics[0]).toMatchObject({ llmCalls: calls.length, llmTruncated: calls.length });
  }, 60_000);
});

describe("a model whose answers vary for the same prompt", () => {
  it("replays exactly from the cache with the server closed, overflows and re-asks included", async () => {
    const server = await startFakeOpenAI();
    // Re-asks (longer prompts) of donations later in the game go over this window now and then.
    // With a profile seed each call sends its own derived seed, and the server's answer is a
    // function of it: the same run every time, whatever order the calls arrive in.
    const script = messyScript({ seed: 14, mode: "varied", contextWindow: 1020 });
    const original = await run("varied", script, { server, generations: 2, profile: { seed: 7 } });
    await server.close();
    expect(original.code).toBe(0);
    const [g1, g2] = original.metrics;
    // The run exercised every path: usable and unusable answers of both kinds, and overflows.
    for (const key of ["parseFailures", "strategyParseFailures", "llmContextExceeded"])
      expect(sum([g1![key] as number, g2![key] as number]), key).toBeGreaterThan(0);
    expect(donations(original.events).some((d) => !d.data.fallback)).toBe(true);

    const replay = await runConfig(
      original.configPath,
      join(tmp.path, "varied", "replay"),
      server,
      ["--cache", "replay"],
    );
    expect(replay.code).toBe(0);
    expect(replay.requests).toHaveLength(0);
    expect(llmCalls(replay.events).every((c) => c.cached)).toBe(true);
    const logged = (run: MessyRun) =>
      stableEvents(run.events).filter((e) => e.type !== "run-started");
    expect(logged(replay)).toEqual(logged(original));
    expect(replay.metrics).toEqual(original.metrics);
    expect(replay.agents).toEqual(original.agents);
  }, 60_000);
});

describe("structured answers (responseFormat: json_schema)", () => {
  const jsonReply = (req: ChatRequestRecord, value: unknown) => {
    const content = JSON.stringify(value);
    return { content, usage: usageFor(req, content) };
  };
  const formatOf = (req: ChatRequestRecord) =>
    req.body.response_format as {
      type: string;
      json_schema: {
        name: string;
        strict: boolean;
        schema: {
          properties: Record<string, Record<string, unknown>>;
          required: string[];
          additionalProperties: boolean;
        };
      };
    };

  it("sends each answer's JSON schema, the amount bounded by the holdings shown, and reads JSON replies", async () => {
    const script: Script = (req) =>
      donationView(req)
        ? jsonReply(req, { justification: "x", amount: 3 })
        : jsonReply(req, { justification: "j", strategy: "give three units each time" });
    const r = await run("structured", script, { profile: { responseFormat: "json_schema" } });
    expect(r.code).toBe(0);
    for (const req of r.requests) {
      const format = formatOf(req);
      expect(format.type).toBe("json_schema");
      expect(format.json_schema.strict).toBe(true);
      const { properties, required, additionalProperties } = format.json_schema.schema;
      expect(additionalProperties).toBe(false);
      expect(required).toEqual(Object.keys(properties));
      const view = donationView(req);
      if (view)
        expect(properties).toEqual({
          justification: { type: "string" },
          amount: { type: "number", minimum: 0, maximum: view.holdings },
        });
      else
        expect(properties).toEqual({
          justification: { type: "string" },
          strategy: { type: "string" },
        });
    }
    // Holdings change as the game goes on, and the bound follows them.
    expect(
      new Set(
        r.requests.flatMap((q) =>
          donationView(q) ? [formatOf(q).json_schema.schema.properties.amount!.maximum] : [],
        ),
      ).size,
    ).toBeGreaterThan(1);

    const acts = donations(r.events);
    expect(acts).toHaveLength(8);
    expect(
      acts.every((d) => d.kind === "donation" && d.data.amount === 3 && !d.data.fallback),
    ).toBe(true);
    for (const e of ofType(r.events, "agent-created"))
      expect(e.agent).toMatchObject({ strategy: "give three units each time", reasoning: "j" });
    expect(llmCalls(r.events).every((c) => c.responseFormat === "json_schema")).toBe(true);
    expect(r.metrics[0]).toMatchObject({
      parseFailures: 0,
      fallbackDecisions: 0,
      strategyParseFailures: 0,
    });
  }, 60_000);

  it("with costly punishment the schema names the action, and a JSON punishment is read as one", async () => {
    const script: Script = (req) =>
      donationView(req)
        ? jsonReply(req, { justification: "x", action: "punish", amount: 1 })
        : jsonReply(req, { justification: "j", strategy: "punish everyone" });
    const r = await run("structured-costly", script, {
      profile: { responseFormat: "json_schema" },
      donorGame: { punishment: "costly", rounds: 1 },
    });
    expect(r.code).toBe(0);
    for (const req of r.requests.filter((q) => donationView(q))) {
      expect(formatOf(req).json_schema.schema.properties.action).toEqual({
        type: "string",
        enum: ["donate", "punish"],
      });
      expect(formatOf(req).json_schema.schema.required).toEqual([
        "justification",
        "action",
        "amount",
      ]);
    }
    const acts = donations(r.events);
    expect(acts.length).toBeGreaterThan(0);
    expect(
      acts.every((d) => d.kind === "punishment" && d.data.amount === 1 && !d.data.fallback),
    ).toBe(true);
  }, 60_000);
});
