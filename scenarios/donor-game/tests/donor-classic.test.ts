/**
 * payoff: classic: cooperate (the donor pays `cost`, the recipient gains `benefit`) or defect,
 * payoffs from 0 and below it. The parser, the policies' two paths, the prompts, closed-form runs
 * and models that answer badly, through the fake OpenAI server and the CLI.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { donorGameConfigSchema } from "../config.js";
import { parseCooperation } from "../parse.js";
import { DONOR_POLICIES, type DonationState } from "../policies.js";
import { donationPrompt, reaskPrompt, systemPrompt, traceLine } from "../prompts.js";
import type { TraceEntry } from "../trace.js";
import { Rng } from "../../../sim/core/rng.js";
import {
  interactions,
  runDonor,
  scratch,
  type AgentRow,
} from "../../../tests/support/donor-helpers.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Script,
} from "../../../tests/support/fake-openai.js";
import {
  isReask,
  isStrategyRequest,
  llmConfig,
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  tempDir,
  usageFor,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

describe("parseCooperation", () => {
  it.each([
    ["Justification: they gave.\nAnswer: Cooperate", "cooperate", "they gave."],
    ["Answer: defect", "defect", ""],
    ["reasoning\n**Answer:** **COOPERATE**", "cooperate", "reasoning"],
    ["### Answer: Cooperating, clearly.", "cooperate", ""],
    ["Answer - I defect.", "defect", ""],
    ["Answer: I will not cooperate with them.", "defect", ""],
    ["Answer: I won't defect", "cooperate", ""],
    ["Answer: never cooperate", "defect", ""],
    ["Answer: Defect (cooperating would be naive)", "defect", ""],
    ["Answer: C", "cooperate", ""],
    ["Answer: **d**.", "defect", ""],
    // The last label counts, as for donations.
    ["Answer: cooperate? No.\nAnswer: Defect", "defect", "Answer: cooperate? No."],
    ['{"justification": "j", "decision": "Cooperate"}', "cooperate", "j"],
    ['{"decision": "defect"}', "defect", ""],
  ])("%j reads as %s", (text, kind, justification) => {
    expect(parseCooperation(text)).toEqual({
      ok: true,
      action: { kind },
      justification,
      clamped: false,
    });
  });

  it.each([
    ["I cooperate.", /^no 'Answer:' label in response "I cooperate\."/],
    ["Answer: maybe", /^no 'Cooperate' or 'Defect' in answer "maybe"/],
    ["Answer: 5", /^no 'Cooperate' or 'Defect' in answer "5"/],
    ["Answer: CD", /^no 'Cooperate' or 'Defect'/],
    ['{"decision": "share"}', /^decision "share" is not "cooperate" or "defect"/],
    ['{"decision": 1}', /^decision 1 is not "cooperate" or "defect"/],
  ])("%j is unusable", (text, reason) => {
    const outcome = parseCooperation(text);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(reason);
  });
});

const NONE: TraceEntry = { kind: "none", agent: "r" };
const did = (fraction: number): Exclude<TraceEntry, { kind: "none" }> => ({
  kind: "donate",
  round: 1,
  donor: "r",
  recipient: "s",
  amount: fraction,
  fraction,
});

describe("policies under the classic payoff", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["cooperate", {}],
    ["defect", {}],
    ["constant", { fraction: 0 }],
    ["constant", { fraction: 0.4 }],
    ["tit-for-tat", { initial: 1 }],
    ["tit-for-tat", { initial: 0 }],
    ["image-scoring", { threshold: 0.5, fraction: 0.6, punish: 0.3 }],
    ["random", { min: 0, max: 1 }],
  ];
  it.each(cases)("%s %j: the fast path gives what the parser reads from its text", (name, raw) => {
    const policy = DONOR_POLICIES[name]!;
    const params = policy.paramsSchema.parse(raw) as Record<string, unknown>;
    let n = 0;
    for (const trace of [[NONE], [did(1)], [did(0)]])
      for (const holdings of [0, -3, 7]) {
        const state: DonationState = {
          holdings,
          recipientHoldings: 2,
          trace,
          punishment: "none",
          payoff: "classic",
        };
        const input = { purpose: "donation", state, params };
        const text = policy.decide({ ...input, rng: new Rng(2, [n]) });
        expect(text).toMatch(/\nAnswer: (Cooperate|Defect)$/);
        expect(policy.act!({ ...input, rng: new Rng(2, [n]) })).toEqual(parseCooperation(text));
        n++;
      }
  });

  it("cooperate and defect always; tit-for-tat and image scoring by the recipient's last move", () => {
    const kind = (name: string, raw: Record<string, unknown>, trace: TraceEntry[]) => {
      const policy = DONOR_POLICIES[name]!;
      const state: DonationState = {
        holdings: -1,
        recipientHoldings: 0,
        trace,
        punishment: "none",
        payoff: "classic",
      };
      const params = policy.paramsSchema.parse(raw) as Record<string, unknown>;
      const out = policy.act!({ purpose: "donation", state, params, rng: new Rng(1) });
      return (out as { action: { kind: string } }).action.kind;
    };
    const traces = [[NONE], [did(1)], [did(0)]];
    expect(traces.map((t) => kind("cooperate", {}, t))).toEqual(Array(3).fill("cooperate"));
    expect(traces.map((t) => kind("defect", {}, t))).toEqual(Array(3).fill("defect"));
    expect(traces.map((t) => kind("tit-for-tat", {}, t))).toEqual([
      "cooperate",
      "cooperate",
      "defect",
    ]);
    expect(traces.map((t) => kind("image-scoring", {}, t))).toEqual([
      "cooperate",
      "cooperate",
      "defect",
    ]);
  });

  it("cooperate gives everything under the resources payoff", () => {
    const policy = DONOR_POLICIES.cooperate!;
    const state: DonationState = {
      holdings: 7.5,
      recipientHoldings: 1,
      trace: [NONE],
      punishment: "none",
    };
    expect(policy.act!({ purpose: "donation", state, params: {}, rng: new Rng(1) })).toMatchObject({
      ok: true,
      action: { kind: "donate", amount: 7.5 },
    });
  });
});

describe("classic prompts", () => {
  it("ask to cooperate or defect, with payoffs, cost and benefit, and read traces as moves", () => {
    const config = donorGameConfigSchema.parse({ payoff: "classic", benefit: 5, cost: 2 });
    const prompt = donationPrompt(config, {
      name: "g1-a1",
      strategy: "My strategy will be to reciprocate.",
      generation: 1,
      round: 3,
      recipient: "g1-a2",
      recipientHoldings: -2,
      holdings: 4,
      trace: [
        { ...did(1), donor: "g1-a2", recipient: "g1-a3", round: 2 },
        { ...did(0), donor: "g1-a3", recipient: "g1-a4", round: 1 },
      ],
    });
    expect(prompt).toContain("You are paired with 1_2, whose payoff so far is -2.");
    expect(prompt).toContain("In round 2, 1_2 cooperated with 1_3.");
    expect(prompt).toContain("In round 1, 1_3 defected against 1_4.");
    expect(prompt).toContain(
      "You are the donor. Your payoff so far is 4. Do you cooperate, paying 2 so that 1_2 gains 5, or defect",
    );
    expect(prompt).toMatch(/Answer: \[Cooperate or Defect\]$/);
    expect(prompt).not.toMatch(/units do you give up|gave \d/);
    expect(reaskPrompt(config, "no 'Answer:' label", 4)).toMatch(
      /^Your answer could not be used: no 'Answer:' label\.[\s\S]*Answer: Cooperate or Defect$/,
    );
    const system = systemPrompt(config);
    expect(system).toContain("every player starts with a payoff of 0");
    expect(system).toContain(
      "Cooperating costs the donor 2 units of payoff and gives the recipient 5",
    );
    expect(system).toContain("you will usually be the recipient in the next");
    // The graph schedule draws roles: the prompt does not promise the alternation.
    const onGraph = systemPrompt({ ...config, schedule: "graph" });
    expect(onGraph).not.toContain("usually be the recipient");
    expect(onGraph).toContain("You are only ever paired with the players you are linked to");
    expect(traceLine({ ...did(1), donor: "g2-a1", recipient: "g2-a2" }, true)).toBe(
      "In round 1, 2_1 cooperated with 2_2.",
    );
  });
});

describe("classic payoff runs", () => {
  const dir = scratch("agora-donor-classic-");
  afterAll(() => dir.cleanup());
  /*
   * The code schedule on 4 agents, 4 rounds: each round a perfect matching between the halves, the
   * donor half A, B, B, A; so in each game every agent donates twice and receives twice. A game's
   * total payoff is (b - c) per cooperation; an agent's payoff is b per cooperation it received
   * minus c per cooperation it made.
   */
  const game = { schedule: "code", rounds: 4, payoff: "classic", benefit: 5, cost: 2 };

  it("all cooperators: every agent ends each game on 2b - 2c", async () => {
    const run = await runDonor(dir.root, {
      minds: [{ count: 4, policy: "cooperate" }],
      donorGame: game,
    });
    for (const row of run.agents) expect([row.game1, row.game2, row.score]).toEqual([6, 6, 6]);
    expect(run.metrics[0]).toMatchObject({
      avgFinalResources: 6,
      avgDonationFraction: 1,
      giniFinalResources: 0,
      isolatedAgents: 0,
    });
    for (const d of interactions(run.events))
      expect(d).toMatchObject({
        kind: "donation",
        data: { amount: 2, fraction: 1, received: 5, donorAfter: d.data.donorBefore - 2 },
      });
  });

  it("a cooperator among defectors: (b - c) per cooperation in all, and it ends on -2c", async () => {
    const run = await runDonor(dir.root, {
      minds: [
        { count: 1, policy: "cooperate" },
        { count: 3, policy: "defect" },
      ],
      donorGame: game,
    });
    const rows = run.agents;
    // One cooperator, two donations per game.
    expect(rows.reduce((s, r) => s + r.game1, 0)).toBe(2 * (5 - 2));
    expect(rows.reduce((s, r) => s + r.game2!, 0)).toBe(2 * (5 - 2));
    const cooperator = rows.find((r) => r.mind === "cooperate")!;
    expect([cooperator.game1, cooperator.game2]).toEqual([-4, -4]);
    const acts = interactions(run.events);
    expect(acts).toHaveLength(16);
    const byId = new Map(rows.map((r) => [r.agentId, r]));
    for (const g of [1, 2]) {
      for (const row of rows) {
        const mine = acts.filter((d) => d.game === g);
        const made = mine.filter((d) => d.from === row.agentId && d.data.fraction === 1).length;
        const got = mine.filter((d) => d.to === row.agentId && d.data.fraction === 1).length;
        expect(g === 1 ? row.game1 : row.game2).toBe(5 * got - 2 * made);
      }
    }
    for (const d of acts) {
      const cooperates = byId.get(d.from)!.mind === "cooperate";
      expect(d).toMatchObject({
        kind: "donation",
        data: {
          amount: cooperates ? 2 : 0,
          fraction: cooperates ? 1 : 0,
          received: cooperates ? 5 : 0,
          donorAfter: d.data.donorBefore - (cooperates ? 2 : 0),
          recipientAfter: d.data.recipientBefore + (cooperates ? 5 : 0),
        },
      });
    }
    // Gini is not defined over payoffs below 0.
    expect(run.metrics[0]).toMatchObject({ avgDonationFraction: 0.25, giniFinalResources: null });
  });

  it("tit-for-tat cooperates exactly when the recipient's last move was cooperation (or none)", async () => {
    const run = await runDonor(dir.root, {
      minds: [
        { count: 2, policy: "tit-for-tat" },
        { count: 1, policy: "defect" },
        { count: 1, policy: "cooperate" },
      ],
      donorGame: { ...game, rounds: 8 },
      generations: 2,
    });
    const acts = interactions(run.events);
    const mindOf = new Map(run.agents.map((r) => [r.agentId, r.mind]));
    let checked = 0;
    for (const d of acts) {
      if (mindOf.get(d.from) !== "tit-for-tat") continue;
      const last = acts
        .filter(
          (o) =>
            o.generation === d.generation &&
            o.game === d.game &&
            o.round < d.round &&
            o.from === d.to,
        )
        .at(-1);
      expect(d.data.fraction).toBe(last === undefined || last.data.fraction === 1 ? 1 : 0);
      checked++;
    }
    // Each agent donates 4 times a game (2 in every 4 rounds), in both games.
    const tft = run.agents.filter((r) => r.mind === "tit-for-tat").length;
    expect(checked).toBe(tft * 4 * 2);
  });

  it("rejects punishment with the classic payoff, naming the field", async () => {
    await expect(
      runDonor(dir.root, {
        minds: [{ count: 4, policy: "defect" }],
        donorGame: { payoff: "classic", punishment: "costly" },
      }),
    ).rejects.toThrow(
      /donorGame\.punishment: got "costly", expected "none" with payoff: classic \(punishment needs payoff: resources\)/,
    );
  });
});

describe("models answering classic prompts, through the CLI", () => {
  const ENV = { FAKE_KEY: "sk-classic" };
  const PARSE_RETRIES = 2;
  let fake: FakeOpenAI;
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    tmp = tempDir("classic");
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
    tmp.cleanup();
  });

  const userOf = (req: ChatRequestRecord) => req.messages.find((m) => m.role === "user")!.content;
  const donorName = (req: ChatRequestRecord) =>
    userOf(req).includes("You are the donor")
      ? /Your name is (\S+?)\./.exec(userOf(req))![1]
      : undefined;

  async function run(name: string, script: Script, profile: Record<string, unknown> = {}) {
    fake.setScript(script);
    const config = llmConfig({
      baseURL: fake.baseURL,
      cacheDir: join(tmp.path, name, "cache"),
      size: 4,
      extra: {
        donorGame: {
          rounds: 2,
          parseRetries: PARSE_RETRIES,
          payoff: "classic",
          benefit: 3,
          cost: 1,
        },
      },
    });
    Object.assign((config.profiles as { fake: Record<string, unknown> }).fake, profile);
    const path = writeConfig(join(tmp.path, name), "config.yaml", config);
    const from = fake.requests.length;
    const dir = join(tmp.path, name, "run");
    const out = await runCli(["run", path, "--out", dir], ENV);
    expect(out.stderr).not.toMatch(/^(config )?error: /m);
    expect(out.code).toBe(0);
    return {
      requests: fake.requests.slice(from),
      events: readEvents(dir),
      metrics: readJsonlStrict(join(dir, "metrics.jsonl")),
      agents: readJsonlStrict<AgentRow>(join(dir, "agents.jsonl")),
    };
  }

  it("reads messy answers, re-asks the unusable ones and counts them; fallbacks defect", async () => {
    // 1_1 cooperates in markdown; 1_2 first rambles without a label, then will "not cooperate";
    // 1_3 never names a move; 1_4 answers "C".
    const script: Script = (req) => {
      const donor = donorName(req);
      const reask = isReask(req);
      const content =
        donor === undefined
          ? isStrategyRequest(req)
            ? "Justification: fairness.\nMy strategy will be to cooperate with cooperators."
            : "Answer: ?"
          : donor === "1_1"
            ? "I like them.\n**Answer:** **Cooperate**"
            : donor === "1_2"
              ? reask
                ? "Justification: they may not return it.\nAnswer: I will not cooperate."
                : "I would rather keep my payoff, so I defect."
              : donor === "1_3"
                ? "Justification: unsure.\nAnswer: maybe later"
                : "Answer: C";
      return { content, usage: usageFor(req, content) };
    };
    const r = await run("messy", script);
    const acts = interactions(r.events);
    // 4 agents, 2 rounds, 2 games: each agent donates once a game.
    expect(acts).toHaveLength(8);
    const fractionOf = { "g1-a1": 1, "g1-a2": 0, "g1-a3": 0, "g1-a4": 1 } as Record<string, number>;
    for (const d of acts) {
      expect(d.kind).toBe("donation");
      expect(d.data.fraction).toBe(fractionOf[d.from]);
      expect(d.data.fallback).toBe(d.from === "g1-a3");
      expect(d.data.amount).toBe(fractionOf[d.from]);
      expect(d.data.recipientAfter).toBe(d.data.recipientBefore + 3 * fractionOf[d.from]!);
      expect(d.data.donorAfter).toBe(d.data.donorBefore - fractionOf[d.from]!);
    }
    const attempts = PARSE_RETRIES + 1;
    expect(r.metrics[0]).toMatchObject({
      parseFailures: 2 * 1 + 2 * attempts,
      fallbackDecisions: 2,
      avgDonationFraction: 4 / 6,
      strategyParseFailures: 0,
    });
    const failures = ofType(r.events, "parse-failure").filter((f) => f.purpose === "donation");
    expect(failures.filter((f) => /^no 'Answer:' label/.test(f.reason))).toHaveLength(2);
    expect(
      failures.filter((f) => /^no 'Cooperate' or 'Defect' in answer "maybe later"/.test(f.reason)),
    ).toHaveLength(2 * attempts);
    // Payoffs start at 0; scores add up to (b - c) per cooperation.
    const total = r.agents.reduce((s, a) => s + a.game1 + a.game2!, 0);
    expect(total).toBe(4 * (3 - 1));

    const donations = r.requests.filter((q) => donorName(q) !== undefined);
    for (const q of donations) {
      expect(q.messages[0]!.content).toContain("every player starts with a payoff of 0");
      expect(userOf(q)).toContain("Your payoff so far is");
      expect(userOf(q)).toContain("Answer: [Cooperate or Defect]");
    }
    const reasks = donations.filter(isReask);
    expect(reasks).toHaveLength(2 + 2 * PARSE_RETRIES);
    for (const q of reasks)
      expect(q.messages.at(-1)!.content).toMatch(/Answer: Cooperate or Defect$/);
    // In round 2 the donor sees the recipient's round-1 move as a cooperation or a defection.
    const round2 = donations.filter((q) => userOf(q).includes("round 2."));
    expect(round2.length).toBeGreaterThan(0);
    for (const q of round2)
      expect(userOf(q)).toMatch(/In round 1, \S+ (cooperated with|defected against) /);
  }, 60_000);

  it("sends the cooperate/defect JSON schema and reads JSON decisions", async () => {
    const script: Script = (req) => {
      const donor = donorName(req);
      const value =
        donor === undefined
          ? { justification: "j", strategy: "always defect" }
          : { justification: "x", decision: donor === "1_1" ? "Cooperate" : "defect" };
      const content = JSON.stringify(value);
      return { content, usage: usageFor(req, content) };
    };
    const r = await run("structured", script, { responseFormat: "json_schema" });
    for (const q of r.requests.filter((x) => donorName(x) !== undefined)) {
      const format = q.body.response_format as {
        json_schema: { name: string; schema: { properties: Record<string, unknown> } };
      };
      expect(format.json_schema.name).toBe("donor_game_cooperation");
      expect(format.json_schema.schema.properties).toEqual({
        justification: { type: "string" },
        decision: { type: "string", enum: ["cooperate", "defect"] },
      });
    }
    const acts = interactions(r.events);
    expect(acts).toHaveLength(8);
    for (const d of acts) expect(d.data.fraction).toBe(d.from === "g1-a1" ? 1 : 0);
    expect(r.metrics[0]).toMatchObject({ parseFailures: 0, fallbackDecisions: 0 });
  }, 60_000);
});
