/**
 * Whom the Donor Game's newcomers learn from (`learning`, README "Networks"): with `neighbours`,
 * policy newcomers copy a surviving in-neighbour and LLM newcomers (and revising survivors) are
 * shown only their surviving in-neighbours' strategies, falling back to all survivors, counted in
 * `learnedGlobally`, when there are none; under a graph update rule an LLM newcomer is shown the
 * drawn parent's strategy first. LLM prompts are read at a local fake OpenAI-compatible server.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../../../sim/app/run.js";
import { donorGameConfigSchema } from "../config.js";
import { systemPrompt } from "../prompts.js";
import {
  directedRing,
  distinctGivers,
  interactions,
  ringAdjacent,
  runDonor,
  scratch,
  slotIndex,
  type AgentRow,
  type DonorRun,
} from "../../../tests/support/donor-helpers.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
} from "../../../tests/support/fake-openai.js";
import {
  goodReply,
  isStrategyRequest,
  llmConfig,
  readJsonlStrict,
  strategyName,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

const dir = scratch("agora-donor-learning-");
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  dir.cleanup();
});

const N = 12;
const DISTINCT = distinctGivers(N);
/** Directed ring g1-a1 -> g1-a2 -> ... : slot b's only in-neighbour is its predecessor. */
const predecessorOf = (n: number) => (a: string, b: string) =>
  slotIndex(a) === ((slotIndex(b) + n - 2) % n) + 1;
const DIRECTED_RING = directedRing(N);

const rowsOf = (agents: readonly AgentRow[], generation: number) =>
  agents.filter((r) => r.generation === generation);

/**
 * Checks every policy newcomer of a truncation run: its parent is a surviving in-neighbour of its
 * place when there is one (`influences(parentSlot, childSlot)`), else any survivor, and the
 * latter are counted in learnedGlobally. Returns how many newcomers learned locally and globally.
 */
function checkPolicyLearning(run: DonorRun, influences: (a: string, b: string) => boolean) {
  let local = 0;
  let global = 0;
  const generations = Math.max(...run.agents.map((r) => r.generation));
  for (let g = 2; g <= generations; g++) {
    const before = rowsOf(run.agents, g - 1);
    const survivors = before.filter((r) => r.survived);
    let fellBack = 0;
    for (const child of rowsOf(run.agents, g).filter((r) => r.born === g)) {
      const near = survivors.filter((s) => influences(s.slot, child.slot));
      const parent = before.find((r) => r.agentId === child.parents[0])!;
      expect(child.parents).toHaveLength(1);
      expect(child.params).toEqual(parent.params);
      if (near.length > 0) {
        expect(near.map((s) => s.agentId)).toContain(parent.agentId);
        local++;
      } else {
        expect(parent.survived).toBe(true);
        fellBack++;
      }
    }
    expect(run.metrics[g - 2]!.learnedGlobally).toBe(fellBack);
    global += fellBack;
  }
  expect(run.metrics.at(-1)!.learnedGlobally).toBeNull();
  return { local, global };
}

describe("policy newcomers, truncation, learning: neighbours", () => {
  it("on a ring: each copies a surviving neighbour, or any survivor when none survived (counted)", async () => {
    const run = await runDonor(dir.root, {
      seed: 6,
      generations: 4,
      minds: DISTINCT,
      graph: { type: "cycle" },
      donorGame: { learning: "neighbours" },
    });
    const { local, global } = checkPolicyLearning(run, ringAdjacent(N));
    // Both cases occur, and local learning picked no one from further away.
    expect(local).toBeGreaterThan(3);
    expect(global).toBeGreaterThan(0);
  });

  it("on a directed ring: only the in-neighbour (the predecessor) counts, not the successor", async () => {
    const run = await runDonor(dir.root, {
      seed: 3,
      generations: 4,
      minds: DISTINCT,
      graph: { type: "adjacency", matrix: DIRECTED_RING },
      donorGame: { learning: "neighbours" },
    });
    const { local, global } = checkPolicyLearning(run, predecessorOf(N));
    expect(local).toBeGreaterThan(1);
    expect(global).toBeGreaterThan(0);
  });

  it("on the complete graph every survivor is a neighbour: the same run as learning: global", async () => {
    const spec = {
      seed: 8,
      generations: 3,
      minds: DISTINCT,
      donorGame: { policyMutation: { rate: 0.5, sd: 0.1 } },
    };
    const global = await runDonor(dir.root, spec);
    const near = await runDonor(dir.root, {
      ...spec,
      donorGame: { ...spec.donorGame, learning: "neighbours" },
    });
    expect(near.agents).toEqual(global.agents);
    expect(interactions(near.events)).toEqual(interactions(global.events));
    const { learnedGlobally: a, ...restNear } = near.metrics[0]!;
    const { learnedGlobally: b, ...restGlobal } = global.metrics[0]!;
    expect([a, b]).toEqual([0, undefined]);
    expect(restNear).toEqual(restGlobal);
  });
});

// ------------------------------------------------------------------------------------------------
// LLM newcomers: what their strategy prompts show

/** Every agent states a strategy naming itself, so a prompt's advice says whose it shows. */
function script(req: ChatRequestRecord) {
  if (!isStrategyRequest(req)) return goodReply(req);
  return `Justification: mine.\nMy strategy will be plan-${strategyName(req)}.`;
}

/** A prompt name ("1_4") as an agent id (g1-a4). */
const idOf = (name: string) => {
  const [g, i] = name.split("_");
  return `g${g}-a${i}`;
};

interface LlmRun {
  agents: AgentRow[];
  metrics: Record<string, unknown>[];
  /** Generation-2 strategy prompts: whose, and the ids whose strategies it lists, in order. */
  shown: { learner: string; advice: string[]; linked: boolean; mentor: boolean }[];
}

async function llmRun(
  name: string,
  seed: number,
  donorGame: Record<string, unknown>,
): Promise<LlmRun> {
  fake.setScript(script);
  const config = llmConfig({
    baseURL: fake.baseURL,
    cacheDir: join(dir.root, name, "cache"),
    size: 8,
    generations: 2,
    seed,
    extra: { graph: { type: "cycle" }, donorGame: { rounds: 4, ...donorGame } },
  });
  const path = writeConfig(join(dir.root, name), "config.yaml", config);
  const from = fake.requests.length;
  const out = join(dir.root, name, "run");
  process.env.FAKE_KEY = "sk-learning";
  const result = await startRun(path, { out });
  expect(result.status).toBe("completed");
  const shown = fake.requests
    .slice(from)
    .filter((req) => isStrategyRequest(req) && req.messages[1]!.content.includes("plan-"))
    .map((req) => ({
      learner: idOf(/Your name is (\S+?)\./.exec(req.messages[1]!.content)![1]!),
      advice: [...req.messages[1]!.content.matchAll(/plan-(\d+_\d+)/g)].map((m) => idOf(m[1]!)),
      // What the prompt says the advice is: from survivors linked to the learner; a drawn parent's.
      linked: req.messages[1]!.content.includes("linked to you"),
      mentor: req.messages[1]!.content.includes("the player you learn from (first)"),
    }));
  return {
    agents: readJsonlStrict<AgentRow>(join(out, "agents.jsonl")),
    metrics: readJsonlStrict(join(out, "metrics.jsonl")),
    shown,
  };
}

describe("LLM newcomers and revising survivors on a ring of 8", () => {
  const adjacent = ringAdjacent(8);

  it("truncation, learning: neighbours: prompts list only surviving neighbours' strategies", async () => {
    const run = await llmRun("trunc-near", 2, { learning: "neighbours", survivorsRevise: true });
    const gen1 = rowsOf(run.agents, 1);
    const gen2 = rowsOf(run.agents, 2);
    const survivors = gen1.filter((r) => r.survived).map((r) => r.agentId);
    const slotOf = new Map(gen2.map((r) => [r.agentId, r.slot]));
    // Every gen-2 agent writes (newcomers) or rewrites (survivors) its strategy.
    expect(run.shown.map((s) => s.learner).sort()).toEqual([...slotOf.keys()].sort());
    const alone: string[] = [];
    let partial = 0;
    for (const { learner, advice, linked, mentor } of run.shown) {
      const slot = slotOf.get(learner)!;
      const near = survivors.filter((s) => adjacent(s, slot));
      expect([linked, mentor]).toEqual([near.length > 0, false]);
      if (near.length === 0) {
        alone.push(learner);
        expect(advice).toEqual(survivors);
      } else {
        // In ranking order, as the survivors are; never the learner itself.
        expect(advice).toEqual(survivors.filter((s) => near.includes(s)));
        if (advice.length < survivors.length) partial++;
      }
      const row = gen2.find((r) => r.agentId === learner)!;
      if (row.born === 2) expect(row.parents).toEqual(near.length === 0 ? survivors : advice);
    }
    // With this seed some learners have a surviving neighbour, and a newcomer and a survivor
    // have none.
    expect(partial).toBeGreaterThan(2);
    expect(alone.filter((id) => id.startsWith("g2-"))).toHaveLength(1);
    expect(alone.filter((id) => id.startsWith("g1-"))).toHaveLength(1);
    expect(run.metrics[0]!.learnedGlobally).toBe(alone.length);
  }, 60_000);

  it("death-birth: the drawn parent's strategy comes first, then the other surviving neighbours'", async () => {
    for (const learning of ["neighbours", "global"] as const) {
      const run = await llmRun(`db-${learning}`, 5, {
        learning,
        update: { rule: "death-birth", updates: 4, intensity: 0.3 },
      });
      const gen2 = rowsOf(run.agents, 2);
      const survivors = rowsOf(run.agents, 1)
        .filter((r) => r.survived)
        .map((r) => r.agentId);
      const newborns = gen2.filter((r) => r.born === 2);
      expect(newborns.length).toBeGreaterThan(1);
      expect(run.shown.map((s) => s.learner).sort()).toEqual(newborns.map((r) => r.agentId).sort());
      for (const { learner, advice, linked, mentor } of run.shown) {
        expect([linked, mentor]).toEqual([learning === "neighbours", true]);
        const row = newborns.find((r) => r.agentId === learner)!;
        const parent = row.parents[0]!;
        expect(adjacent(parent, row.slot)).toBe(true);
        expect(advice[0]).toBe(parent);
        const others = survivors.filter(
          (s) => s !== parent && (learning === "global" || adjacent(s, row.slot)),
        );
        expect(advice.slice(1)).toEqual(others);
      }
      if (learning === "global") expect(run.metrics[0]).not.toHaveProperty("learnedGlobally");
      else expect(run.metrics[0]!.learnedGlobally).toBe(0);
    }
  }, 60_000);
});

describe("the system prompt tells the update rule in use", () => {
  it("truncation: the best-performing share goes on; graph rules: replacement one at a time", () => {
    const text = (update?: Record<string, unknown>) =>
      systemPrompt(donorGameConfigSchema.parse(update ? { update } : {}));
    expect(text()).toContain("the best-performing 50% of players go on to the next generation");
    const rules = {
      "death-birth": "up to 3 player(s) are replaced, one at a time, each by a newcomer",
      "birth-death": "up to 3 time(s) a player, more likely one who did well, passes its strategy",
      imitation: "up to 3 time(s) a player compares itself with a neighbour",
    };
    for (const [rule, says] of Object.entries(rules)) {
      const prompt = text({ rule, updates: 3 });
      expect(prompt).toContain(says);
      expect(prompt).not.toContain("best-performing");
    }
  });
});
