/**
 * The scenario through the engine (public API only): determinism, selection and reproduction,
 * metrics, agents.jsonl, config checking.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  ConfigError,
  resumeRun,
  stableView,
  startRunFrom,
  type AgoraEvent,
} from "../../sim/index.js";
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

const { out } = scratchDirs();

const ring = (): Record<string, unknown> => ({
  ...(parseYaml(readFileSync(join(HERE, "offline-ring.yaml"), "utf8")) as Record<string, unknown>),
  cache: { mode: "off" },
});

describe("determinism", () => {
  it("gives the same events and files for the same seed, and other draws for another seed", async () => {
    const a = await run(ring(), out("det-a"));
    const b = await run(ring(), out("det-b"));
    const c = await run({ ...ring(), seed: 2 }, out("det-c"));
    expect(a.status).toBe("completed");
    expect(a.events.map(stableView)).toEqual(b.events.map(stableView));
    expect(readFileSync(join(a.dir, "metrics.jsonl"), "utf8")).toBe(
      readFileSync(join(b.dir, "metrics.jsonl"), "utf8"),
    );
    expect(readFileSync(join(a.dir, "agents.jsonl"), "utf8")).toBe(
      readFileSync(join(b.dir, "agents.jsonl"), "utf8"),
    );
    // The random policy draws from the seed's streams.
    expect(generationMetrics(c.events)[0]!.meanContributionFraction).not.toBe(
      generationMetrics(a.events)[0]!.meanContributionFraction,
    );
  });
});

describe("resume", () => {
  it("continues an interrupted run from its checkpoint to the same events as an uninterrupted one", async () => {
    const whole = await run(ring(), out("whole"));
    const dir = out("resumed");
    const stop = new AbortController();
    const first = await startRunFrom(ring(), HERE, {
      out: dir,
      signal: stop.signal,
      hooks: { onGenerationEnd: ({ generation }) => generation === 2 && stop.abort() },
    });
    expect(first.status).toBe("interrupted");
    const resumed = await resumeRun(dir);
    expect(resumed.status).toBe("completed");
    // The resumed log has its own run-ended "interrupted" where it stopped; the rest is the same.
    const events = readJsonl<AgoraEvent>(join(dir, "events.jsonl")).filter(
      (e) => !(e.type === "run-ended" && e.status === "interrupted"),
    );
    const strip = (e: AgoraEvent) => ({ ...stableView(e), seq: undefined });
    expect(events.map(strip)).toEqual(whole.events.map(strip));
    expect(readFileSync(join(dir, "agents.jsonl"), "utf8")).toBe(
      readFileSync(join(whole.dir, "agents.jsonl"), "utf8"),
    );
  });
});

describe("selection", () => {
  it("keeps the best-scoring half and fills each removed slot with a copy of its best surviving neighbour", async () => {
    // A ring of 6: three full contributors, two free riders, one conditional cooperator; no
    // mutation.
    const config = offlineConfig({
      generations: 2,
      population: {
        size: 6,
        minds: [
          { count: 3, policy: "always", fraction: 1 },
          { count: 2, policy: "free-rider" },
          { count: 1, policy: "conditional", initial: 0.5 },
        ],
      },
      publicGoods: { rounds: 3, multiplier: 2, policyMutation: { rate: 0, sd: 0.1 } },
    });
    const { status, events, dir } = await run(config, out("selection"));
    expect(status).toBe("completed");
    const ended = ofType(events, "generation-ended");
    const { survivors, removed, created, scores } = ended[0]!;
    expect(survivors).toHaveLength(3);
    expect(Math.min(...survivors.map((id) => scores[id]!))).toBeGreaterThanOrEqual(
      Math.max(...removed.map((id) => scores[id]!)),
    );
    expect(created).toEqual(["g2-a1", "g2-a2", "g2-a3"]);

    const born = new Map(ofType(events, "agent-created").map((e) => [e.agent.id, e.agent]));
    const slots = ["g1-a1", "g1-a2", "g1-a3", "g1-a4", "g1-a5", "g1-a6"];
    const adjacent = (a: string, b: string) =>
      Math.abs(slots.indexOf(a) - slots.indexOf(b)) % 4 === 1;
    const policyOf = (id: string) => born.get(id)!.mind;
    removed.forEach((gone, i) => {
      const child = born.get(`g2-a${i + 1}`)!;
      expect(child.generation).toBe(2);
      expect(child.slot).toBe(born.get(gone)!.slot);
      const [parent] = child.parents;
      expect(child.parents).toHaveLength(1);
      const neighbours = survivors.filter((s) => adjacent(born.get(s)!.slot, child.slot));
      // The best surviving neighbour (survivors are listed best first), else the best survivor.
      expect(parent).toBe(neighbours[0] ?? survivors[0]);
      expect(policyOf(`g2-a${i + 1}`)).toEqual(policyOf(parent!));
    });
    // The last generation selects no one.
    expect(ended[1]).toMatchObject({ survivors: [], removed: [], created: [] });

    const rows = readJsonl(join(dir, "agents.jsonl"));
    expect(rows).toHaveLength(12);
    const first = rows.filter((r) => r.generation === 1);
    expect(first.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first.filter((r) => r.survived).map((r) => r.agentId)).toEqual(survivors);
    expect(first.find((r) => r.mind === "free-rider")).toMatchObject({
      degree: 2,
      meanContributionFraction: 0,
      mindKind: "policy",
      fallbackDecisions: 0,
    });
  });

  it("gives LLM newborns their profile and the survivors' records; policy newborns a survivor's or their own policy", () => {
    // d's only neighbour c is an LLM.
    const base = pathOfFour(
      { a: llm, b: always(0.2), c: llm, d: always(0.9) },
      { a: 0.5, b: 0.2, c: null, d: 0.9 },
    );
    const [c2, d2] = reproduce({ ...base, survivors: ["a", "b"], removed: ["c", "d"] });
    expect(c2).toEqual({
      id: "g2-a1",
      generation: 2,
      slot: "c",
      parents: ["a", "b"],
      mind: llm,
      advice: [
        { score: 30, fraction: 0.5 },
        { score: 20, fraction: 0.2 },
      ],
    });
    // No surviving policy neighbour: the best surviving policy agent anywhere.
    expect(d2).toEqual({
      id: "g2-a2",
      generation: 2,
      slot: "d",
      parents: ["b"],
      mind: always(0.2),
      advice: null,
    });
    // No surviving policy agent at all: the removed agent's own policy.
    const [d3] = reproduce({ ...base, survivors: ["a"], removed: ["d"] });
    expect(d3).toMatchObject({ parents: ["d"], mind: always(0.9) });
  });
});

describe("metrics", () => {
  it("reports contribution, payoff, inequality and the degree correlation per generation and per round", async () => {
    // Everyone gives half on a ring: equal payoffs, every degree 2 (no correlation to measure).
    const flat = await run(
      offlineConfig({ publicGoods: { rounds: 2, endowment: 10, multiplier: 1.5 } }),
      out("flat"),
    );
    const [m] = generationMetrics(flat.events);
    // Each round: keep 5, and every pot returns 1.5 x 5 per member in total: 12.5.
    expect(m).toMatchObject({
      meanContributionFraction: 0.5,
      zeroContributionRate: 0,
      giniScores: 0,
      degreeContributionCorrelation: null,
      parseFailures: 0,
      fallbackDecisions: 0,
    });
    expect(m!.meanPayoff).toBeCloseTo(12.5, 9);
    expect(m!.meanScore).toBeCloseTo(25, 9);
    const rounds = ofType(flat.events, "metric").filter((e) => e.scope === "round");
    expect(rounds.map((e) => e.t)).toEqual([
      { generation: 1, round: 1 },
      { generation: 1, round: 2 },
    ]);
    expect(rounds[0]!.values).toMatchObject({
      meanContributionFraction: 0.5,
      fallbackDecisions: 0,
    });

    // A star: the hub gives everything, the leaves nothing; contribution rises with degree.
    const star = await run(
      offlineConfig({
        graph: { type: "star" },
        population: {
          size: 4,
          minds: [
            { count: 1, policy: "always", fraction: 1 },
            { count: 3, policy: "free-rider" },
          ],
        },
      }),
      out("star"),
    );
    const [s] = generationMetrics(star.events);
    expect(s!.degreeContributionCorrelation).toBeCloseTo(1, 9);
    expect(s!.zeroContributionRate).toBe(0.75);
    expect(s!.giniScores).toBeGreaterThan(0);
  });
});

describe("config", () => {
  it("rejects unknown keys and out-of-range values with the path named", async () => {
    await expect(run(offlineConfig({ publicGoods: { round: 3 } }), out("bad"))).rejects.toThrow(
      ConfigError,
    );
    await expect(
      run(offlineConfig({ publicGoods: { survivorFraction: 1 } }), out("bad")),
    ).rejects.toThrow(/publicGoods\.survivorFraction/);
    await expect(
      run(
        offlineConfig({ population: { size: 4, minds: [{ count: 4, policy: "tit-for-tat" }] } }),
        out("bad"),
      ),
    ).rejects.toThrow(/always, conditional, free-rider, random/);
  });
});
