/**
 * `publicGoods.update`: the toolkit's graph update rules (death-birth, birth-death, imitation)
 * beside the default truncation, through the engine (public API only) and in `reproduce`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resumeRun, stableView, startRunFrom } from "../../sim/index.js";
import { startFakeOpenAI, type ChatRequestRecord } from "../../tests/support/fake-openai.js";
import { reproduce } from "./evolution.js";
import {
  alwaysMind as always,
  generationMetrics,
  HERE,
  LLM_MIND as llm,
  offlineConfig,
  ofType,
  pathOfFour,
  readJsonl,
  run,
  scratchDirs,
} from "./tests/support.js";

const { out, whenDone } = scratchDirs();

/** A ring of 8 with every kind of policy; no mutation, so a newborn's mind is its parent's. */
const ring = (update?: Record<string, unknown>) =>
  offlineConfig({
    generations: 4,
    population: {
      size: 8,
      minds: [
        { count: 3, policy: "always", fraction: 0.9 },
        { count: 3, policy: "free-rider" },
        { count: 2, policy: "conditional", initial: 0.5 },
      ],
    },
    publicGoods: {
      rounds: 3,
      multiplier: 2,
      policyMutation: { rate: 0, sd: 0.1 },
      ...(update ? { update } : {}),
    },
  });

const SLOTS = Array.from({ length: 8 }, (_, i) => `g1-a${i + 1}`);
const adjacent = (a: string, b: string) =>
  [1, 7].includes(Math.abs(SLOTS.indexOf(a) - SLOTS.indexOf(b)));

describe("graph update rules", () => {
  it("death-birth: every newborn copies the policy of a neighbour of its slot; stranded events are counted", async () => {
    const { status, events, dir } = await run(
      ring({ rule: "death-birth", intensity: 0.05, updates: 3 }),
      out("death-birth"),
    );
    expect(status).toBe("completed");
    const born = new Map(ofType(events, "agent-created").map((e) => [e.agent.id, e.agent]));
    const rows = readJsonl(join(dir, "agents.jsonl"));
    const metrics = generationMetrics(events);
    const ended = ofType(events, "generation-ended");
    let replaced = 0;
    for (const g of ended.slice(0, -1)) {
      const generation = g.t.generation!;
      const held = new Map(
        rows.filter((r) => r.generation === generation).map((r) => [r.agentId, r.slot]),
      );
      // Everyone not replaced survives; newborns take the removed agents' slots.
      expect(g.survivors.length + g.removed.length).toBe(8);
      g.removed.forEach((gone, i) => {
        const child = born.get(g.created[i]!)!;
        expect(child.slot).toBe(held.get(gone));
        expect(child.parents).toHaveLength(1);
        const parent = child.parents[0]!;
        // The parent held a slot next to the newborn's this generation.
        expect(held.has(parent), `${parent} in generation ${generation}`).toBe(true);
        expect(adjacent(held.get(parent) as string, child.slot!)).toBe(true);
        expect(child.mind).toEqual(born.get(parent)!.mind);
      });
      expect(g.removed.length + (metrics[generation - 1]!.strandedUpdates as number)).toBe(3);
      replaced += g.removed.length;
    }
    expect(replaced).toBeGreaterThan(0);
    expect(ended.at(-1)).toMatchObject({ survivors: [], removed: [], created: [] });
    expect(metrics.at(-1)!.strandedUpdates).toBeNull();
  });

  it("death-birth resumes from a checkpoint to the same run as an uninterrupted one", async () => {
    const config = ring({ rule: "death-birth", intensity: 0.05, updates: 3 });
    const whole = await run(config, out("whole"));
    const dir = out("resumed");
    const stop = new AbortController();
    const first = await startRunFrom(config, HERE, {
      out: dir,
      signal: stop.signal,
      hooks: { onGenerationEnd: ({ generation }) => generation === 2 && stop.abort() },
    });
    expect(first.status).toBe("interrupted");
    expect((await resumeRun(dir)).status).toBe("completed");
    for (const file of ["metrics.jsonl", "agents.jsonl"])
      expect(readFileSync(join(dir, file), "utf8")).toBe(
        readFileSync(join(whole.dir, file), "utf8"),
      );
  });

  it("imitation and birth-death run on the ring too, each newborn from a neighbour", async () => {
    for (const rule of ["imitation", "birth-death"]) {
      const { events } = await run(
        ring({ rule, intensity: 0.2, updates: 4, fitness: "exponential" }),
        out(rule),
      );
      const born = new Map(ofType(events, "agent-created").map((e) => [e.agent.id, e.agent]));
      const created = ofType(events, "generation-ended").flatMap((g) => g.created);
      expect(created.length, rule).toBeGreaterThan(0);
      for (const id of created) {
        const child = born.get(id)!;
        const parent = born.get(child.parents[0]!)!;
        expect(adjacent(parent.slot!, child.slot!), `${rule}: ${id}`).toBe(true);
      }
    }
  });

  it("the default is truncation, exactly as before: the same run as `update: { rule: truncation }`, with no stranded count", async () => {
    const implicit = await run(ring(), out("implicit"));
    const explicit = await run(ring({ rule: "truncation" }), out("explicit"));
    expect(explicit.events.map(stableView)).toEqual(implicit.events.map(stableView));
    for (const file of ["metrics.jsonl", "agents.jsonl"])
      expect(readFileSync(join(explicit.dir, file), "utf8")).toBe(
        readFileSync(join(implicit.dir, file), "utf8"),
      );
    expect(generationMetrics(implicit.events)[0]).not.toHaveProperty("strandedUpdates");
    // Truncation keeps half (the best scores) every generation.
    for (const g of ofType(implicit.events, "generation-ended").slice(0, -1))
      expect(g.survivors).toHaveLength(4);
  });

  it("rejects a bad update rule with the path and value named", async () => {
    await expect(run(ring({ rule: "moran" }), out("bad"))).rejects.toThrow(
      /publicGoods\.update\.rule.*moran/,
    );
    await expect(run(ring({ rule: "death-birth", intensity: -1 }), out("bad"))).rejects.toThrow(
      /publicGoods\.update\.intensity/,
    );
    await expect(run(ring({ rule: "truncation", updates: 2 }), out("bad"))).rejects.toThrow(
      /publicGoods\.update/,
    );
  });
});

describe("LLM minds under a graph rule", () => {
  it("tells the rule in the system prompt and a newborn its one parent's record", async () => {
    const amounts: Record<string, number> = { "g1-a1": 20, "g1-a2": 10, "g1-a3": 5, "g1-a4": 0 };
    const user = (req: ChatRequestRecord) => req.messages.find((m) => m.role === "user")!.content;
    const server = await startFakeOpenAI({
      script: (req) =>
        `Justification: my plan.\nAnswer: ${amounts[/Your name is (\S+?)\./.exec(user(req))![1]!] ?? 8}`,
    });
    whenDone(() => void server.close());
    const { status, events } = await run(
      offlineConfig({
        generations: 2,
        profiles: { fake: { model: "test-model", baseURL: server.baseURL, maxRetries: 0 } },
        population: { size: 4, minds: [{ count: 4, profile: "fake" }] },
        publicGoods: { rounds: 1, update: { rule: "death-birth", intensity: 0.5, updates: 2 } },
      }),
      out("llm"),
    );
    expect(status).toBe("completed");
    const system = server.requests[0]!.messages[0]!.content;
    expect(system).not.toContain("with the highest scores go on");
    expect(system).toContain("replaced one at a time by newcomers");
    const { created, scores } = ofType(events, "generation-ended")[0]!;
    expect(created.length).toBeGreaterThan(0);
    const born = new Map(ofType(events, "agent-created").map((e) => [e.agent.id, e.agent]));
    for (const id of created) {
      const [parent] = born.get(id)!.parents;
      expect(born.get(id)!.parents).toHaveLength(1);
      const text = user(server.requests.find((r) => user(r).includes(`Your name is ${id}.`))!);
      expect(text).toContain("Before you joined, the player you learn from did this");
      // One record: the parent's score and share of the endowment (its fixed amount of 20).
      const score = Math.round(scores[parent!]! * 100) / 100;
      expect(text).toContain(`- score ${score}, contributed ${amounts[parent!]! * 5}%`);
      expect(text.match(/- score /g)).toHaveLength(1);
    }
  });
});

describe("reproduce with a graph rule's parents", () => {
  const base = pathOfFour(
    { a: always(0.3), b: llm, c: always(0.7), d: llm },
    { a: 0.3, b: 0.5, c: 0.7, d: null },
  );

  it("gives an LLM newborn its drawn parent alone (even one replaced later) and a policy newborn its drawn policy parent", () => {
    // d's slot went to c's offspring, then c's to b's. d's LLM slot learns from c alone (replaced
    // after it bred); c's policy slot cannot copy the LLM b: the truncation rule's fallback, the
    // best surviving policy neighbour (none), else the best surviving policy agent (a).
    const [c2, d2] = reproduce({
      ...base,
      survivors: ["a", "b"],
      removed: ["c", "d"],
      parentsOf: new Map([
        ["c", ["b"]],
        ["d", ["c"]],
      ]),
    });
    expect(c2).toEqual({
      id: "g2-a1",
      generation: 2,
      slot: "c",
      parents: ["a"],
      mind: always(0.3),
      advice: null,
    });
    expect(d2).toEqual({
      id: "g2-a2",
      generation: 2,
      slot: "d",
      parents: ["c"],
      mind: llm,
      advice: [{ score: 10, fraction: 0.7 }],
    });
    const [b2] = reproduce({
      ...base,
      survivors: ["a", "c", "d"],
      removed: ["b"],
      parentsOf: new Map([["b", ["c"]]]),
    });
    expect(b2).toMatchObject({ parents: ["c"], mind: llm, advice: [{ score: 10, fraction: 0.7 }] });
    const [a2] = reproduce({
      ...base,
      survivors: ["b", "c", "d"],
      removed: ["a"],
      parentsOf: new Map([["a", ["b"]]]),
    });
    // Its drawn parent is an LLM: the best surviving policy agent anywhere (c; b is no policy).
    expect(a2).toMatchObject({ parents: ["c"], mind: always(0.7) });
  });
});
