/**
 * Debate generations on the graph (issue 12): `evolution.learning: neighbours` (newcomers learn
 * from the survivors among their place's in-neighbours, the debaters they hear) and the toolkit's
 * graph update rules (`evolution.update`), with policy debaters in process and LLM debaters through
 * the fake OpenAI server.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import type { EventOf } from "../../../sim/core/events.js";
import { agentIdParts } from "../../../sim/core/ids.js";
import {
  debateConfig,
  debateWorkspace,
  readRequest,
  runDebate,
  type DebateRun,
} from "../../../tests/support/debate-helpers.js";
import type { ChatRequestRecord } from "../../../tests/support/fake-openai.js";
import { ofType, tempDir } from "../../../tests/support/llm-helpers.js";

const workspace = debateWorkspace();

/**
 * A directed cycle over the population (g1-a1 -> g1-a2 -> ... -> g1-aN -> g1-a1): each place hears
 * only the place before it, and is heard only by the one after it, so a rule that looked at
 * out-neighbours (or at everyone) would pick other parents.
 */
function directedCycle(n: number): Record<string, unknown> {
  const matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (j === (i + 1) % n ? 1 : 0)),
  );
  return { type: "adjacency", matrix, directed: true };
}

/** The place a place hears on `directedCycle(n)`: slots are the first generation's ids. */
const heardBy = (slot: string, n: number): string =>
  `g1-a${((agentIdParts(slot)!.index + n - 2) % n) + 1}`;

const SOLVERS = [
  { count: 2, policy: "solver", accuracy: 0.9, persuadability: 0.2 },
  { count: 2, policy: "solver", accuracy: 0.7, persuadability: 0.6 },
  { count: 2, policy: "solver", accuracy: 0.5, conformity: 0.8 },
  { count: 2, policy: "solver", accuracy: 0.2, stubbornness: 0.9 },
];

async function policyRun(name: string, evolution: Record<string, unknown>): Promise<DebateRun> {
  const tmp = tempDir("debate-network");
  onTestFinished(() => tmp.cleanup());
  return runDebate(
    tmp.path,
    name,
    debateConfig({
      cacheDir: `${tmp.path}/cache`,
      size: 8,
      generations: 5,
      minds: SOLVERS,
      graph: directedCycle(8),
      debate: {
        setup: "n-agent",
        rounds: 1,
        questions: { generator: "arithmetic", count: 60 },
        questionsPerGeneration: 12,
        evolution: { enabled: true, mutation: { rate: 0, sd: 0.1 }, ...evolution },
      },
    }),
    { inProcess: true },
  );
}

/** The run's agents (agent-created records) by id. */
const agentsById = (events: DebateRun["events"]) =>
  new Map(ofType(events, "agent-created").map((e) => [e.agent.id, e.agent]));

/** The run's agents by id, and the advice each LLM newcomer was shown, by its name. */
function newcomersAndAdvice(events: DebateRun["events"], requests: readonly ChatRequestRecord[]) {
  return {
    created: agentsById(events),
    advice: new Map(
      requests
        .map(readRequest)
        .flatMap((r) => (r.kind === "advice" ? [[r.name, r.survivorsAdvice] as const] : [])),
    ),
  };
}

/** Per selection: each newcomer with its place, parents, and the debater that held the place. */
function births(run: DebateRun) {
  const created = agentsById(run.events);
  const ended = ofType(run.events, "generation-ended").slice(0, -1);
  return ended.map((g: EventOf<"generation-ended">) => {
    // Who held each place during generation g.
    const holder = new Map(
      run.agents
        .filter((r) => r.generation === g.t.generation && r.role === "debater")
        .map((r) => [r.slot as string, r.agentId as string]),
    );
    return {
      generation: g.t.generation!,
      survivors: g.survivors,
      newcomers: g.removed.map((gone, i) => {
        const child = created.get(g.created[i]!)!;
        return { gone, slot: child.slot!, parents: child.parents, holder };
      }),
    };
  });
}

describe("debate generations with learning: neighbours", () => {
  it("policy newcomers copy a surviving in-neighbour, and learn from any survivor (counted) only when their place hears none", async () => {
    const run = await policyRun("local", { learning: "neighbours" });
    let local = 0;
    let fallbacks = 0;
    for (const { generation, survivors, newcomers } of births(run)) {
      expect(newcomers.length).toBe(4);
      let counted = 0;
      for (const { gone, slot, parents, holder } of newcomers) {
        expect(holder.get(slot)).toBe(gone);
        expect(parents).toHaveLength(1);
        expect(survivors).toContain(parents[0]);
        const heard = holder.get(heardBy(slot, 8))!;
        if (survivors.includes(heard)) {
          expect(parents, `${gone}'s newcomer (generation ${generation})`).toEqual([heard]);
          local++;
        } else counted++;
      }
      expect(run.metrics[generation - 1]!.learningFallbacks).toBe(counted);
      fallbacks += counted;
    }
    // Both branches were exercised; the last generation selects no one.
    expect(local).toBeGreaterThan(0);
    expect(fallbacks).toBeGreaterThan(0);
    expect(run.metrics.at(-1)!.learningFallbacks).toBeNull();
    // The default (global) run has no such count and copies survivors from anywhere.
    const global = await policyRun("global", {});
    expect(global.metrics[0]).not.toHaveProperty("learningFallbacks");
    const far = births(global).flatMap(({ survivors, newcomers }) =>
      newcomers.filter(
        ({ slot, parents, holder }) =>
          survivors.includes(holder.get(heardBy(slot, 8))!) &&
          parents[0] !== holder.get(heardBy(slot, 8)),
      ),
    );
    expect(far.length).toBeGreaterThan(0);
  }, 60_000);

  it("an LLM newcomer's advice prompt lists only the surviving in-neighbour's advice, or every survivor's when its place hears none", async () => {
    // g1-a1 and g1-a2 answer right and survive; g1-a3 (hears g1-a2) and g1-a4 (hears g1-a3) go.
    const open = await workspace({ answer: (r) => (agentIdParts(r.name)!.index <= 2 ? "4" : "5") });
    const run = await runDebate(
      open.work,
      "run",
      open.config(
        4,
        {
          setup: "n-agent",
          rounds: 1,
          questionsPerGeneration: 1,
          evolution: { enabled: true, learning: "neighbours" },
        },
        { generations: 2, graph: directedCycle(4) },
      ),
    );
    expect(ofType(run.events, "generation-ended")[0]!.survivors.sort()).toEqual(["g1-a1", "g1-a2"]);
    const { created, advice } = newcomersAndAdvice(run.events, open.requests());
    // The newcomers (agent records carry their ids) by the place each took.
    const bySlot = new Map(
      ["g2-a1", "g2-a2"].map((id) => [created.get(id)!.slot, created.get(id)!]),
    );
    const inThird = bySlot.get("g1-a3")!;
    const inFourth = bySlot.get("g1-a4")!;
    expect(advice.get(inThird.id)).toEqual(["the advice of g1-a2."]);
    expect(inThird.parents).toEqual(["g1-a2"]);
    expect(advice.get(inFourth.id)!.sort()).toEqual([
      "the advice of g1-a1.",
      "the advice of g1-a2.",
    ]);
    expect(inFourth.parents.sort()).toEqual(["g1-a1", "g1-a2"]);
    expect(run.metrics.map((m) => m.learningFallbacks)).toEqual([1, null]);
  }, 30_000);
});

describe("debate generations with a graph update rule", () => {
  it("death-birth: every newcomer descends from an in-neighbour of its place; stranded events are counted", async () => {
    const run = await policyRun("death-birth", {
      update: { rule: "death-birth", intensity: 0.5, updates: 4 },
    });
    let replaced = 0;
    for (const { generation, newcomers } of births(run)) {
      for (const { gone, slot, parents, holder } of newcomers) {
        expect(holder.get(slot)).toBe(gone);
        // The debater that held the place it hears (a parent may itself be replaced later on).
        expect(parents, `${gone}'s newcomer (generation ${generation})`).toEqual([
          holder.get(heardBy(slot, 8)),
        ]);
      }
      // Each of the 4 events replaced a debater or found the place's only in-neighbour replaced.
      expect(newcomers.length + (run.metrics[generation - 1]!.strandedUpdates as number)).toBe(4);
      replaced += newcomers.length;
    }
    expect(replaced).toBeGreaterThan(0);
    expect(run.metrics.at(-1)!.strandedUpdates).toBeNull();
  }, 60_000);

  it("death-birth with LLM debaters: the newcomer's advice prompt lists its one parent's advice, even a parent replaced after it bred", async () => {
    const open = await workspace({ answer: (r) => (agentIdParts(r.name)!.index <= 2 ? "4" : "5") });
    const run = await runDebate(open.work, "run", {
      ...open.config(
        4,
        {
          setup: "n-agent",
          rounds: 1,
          questionsPerGeneration: 1,
          evolution: { enabled: true, update: { rule: "death-birth", updates: 3 } },
        },
        { generations: 2, graph: directedCycle(4) },
      ),
      // A seed whose draws replace a debater after its offspring took a place.
      seed: 6,
    });
    const ended = ofType(run.events, "generation-ended")[0]!;
    expect(ended.created.length).toBeGreaterThan(0);
    const { created, advice } = newcomersAndAdvice(run.events, open.requests());
    for (const id of ended.created) {
      const child = created.get(id)!;
      expect(child.parents).toEqual([heardBy(child.slot!, 4)]);
      expect(advice.get(id)).toEqual([`the advice of ${child.parents[0]}.`]);
    }
    // The prompt describes the rule in use, not truncation's "the most accurate are kept".
    for (const req of open.requests().filter((r) => readRequest(r).kind === "advice")) {
      const text = req.messages.map((m) => m.content).join("\n");
      expect(text).not.toContain("Agents who answer most accurately are kept");
      expect(text).toContain("replaced one at a time by newcomers");
    }
    const parents = ended.created.map((id) => created.get(id)!.parents[0]!);
    expect(parents.some((p) => ended.removed.includes(p))).toBe(true);
  }, 30_000);
});
