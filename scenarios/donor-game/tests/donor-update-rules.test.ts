/**
 * The Donor Game's graph update rules (`update: death-birth | birth-death | imitation`) on policy
 * populations: a newcomer's parent is the agent the rule drew, a neighbour of its place (on a
 * directed graph an in-neighbour), whose policy it copies; `strandedUpdates` counts the events that
 * replaced no one for want of a neighbour.
 */
import { afterAll, describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import { ConfigError } from "../../../sim/core/errors.js";
import {
  directedRing,
  distinctGivers,
  ofType,
  ringAdjacent,
  runDonor,
  scratch,
  slotIndex,
  type AgentRow,
  type DonorRun,
} from "../../../tests/support/donor-helpers.js";

const SCENARIOS = await builtinScenarios();
const dir = scratch("agora-donor-update-");
afterAll(dir.cleanup);

const N = 12;
const DISTINCT = distinctGivers(N);
const onRing = ringAdjacent(N);
const DIRECTED_RING = directedRing(N);

const rowsOf = (run: DonorRun, generation: number) =>
  run.agents.filter((r) => r.generation === generation);

interface Birth {
  child: AgentRow;
  parent: AgentRow;
}

/** Every newcomer of the run with the previous generation's row of its parent. */
function births(run: DonorRun): Birth[] {
  const out: Birth[] = [];
  const generations = Math.max(...run.agents.map((r) => r.generation));
  for (let g = 2; g <= generations; g++) {
    const before = new Map(rowsOf(run, g - 1).map((r) => [r.agentId, r]));
    for (const child of rowsOf(run, g).filter((r) => r.born === g)) {
      expect(child.parents).toHaveLength(1);
      out.push({ child, parent: before.get(child.parents[0]!)! });
    }
  }
  return out;
}

/** Per selected generation: replaced agents and stranded events against the update count. */
function checkCounts(run: DonorRun, updates: number, exact: boolean) {
  for (const m of run.metrics.slice(0, -1)) {
    const ended = ofType(run.events, "generation-ended").find(
      (e) => e.t.generation === m.generation,
    )!;
    const stranded = m.strandedUpdates as number;
    // Death-birth and birth-death events each replace one agent or are stranded; imitation may
    // also decline.
    if (exact) expect(ended.removed.length + stranded).toBe(updates);
    else expect(ended.removed.length + stranded).toBeLessThanOrEqual(updates);
    expect(ended.created).toHaveLength(ended.removed.length);
  }
  // The last generation replaces no one.
  expect(run.metrics.at(-1)!.strandedUpdates).toBeNull();
}

describe("graph update rules on a ring of constant givers", () => {
  for (const rule of ["death-birth", "birth-death", "imitation"] as const) {
    it(`${rule}: every newcomer's parent sits next to its place and passes on its policy`, async () => {
      const updates = 8;
      const run = await runDonor(dir.root, {
        seed: 4,
        generations: 4,
        minds: DISTINCT,
        graph: { type: "cycle" },
        donorGame: {
          update: { rule, intensity: 0.5, updates, fitness: "exponential" },
        },
      });
      const all = births(run);
      expect(all.length).toBeGreaterThan(4);
      for (const { child, parent } of all) {
        expect(onRing(child.slot, parent.slot)).toBe(true);
        expect(child.mind).toBe("constant");
        expect(child.params).toEqual(parent.params);
      }
      checkCounts(run, updates, rule !== "imitation");
      // Survivors keep their places; every place is filled once.
      for (let g = 2; g <= 4; g++)
        expect(
          rowsOf(run, g)
            .map((r) => r.slot)
            .sort(),
        ).toEqual(
          rowsOf(run, 1)
            .map((r) => r.slot)
            .sort(),
        );
    });
  }

  it("death-birth on a directed ring: the parent is the in-neighbour, the place's predecessor", async () => {
    const run = await runDonor(dir.root, {
      seed: 9,
      generations: 3,
      minds: DISTINCT,
      graph: { type: "adjacency", matrix: DIRECTED_RING },
      donorGame: { update: { rule: "death-birth", intensity: 0.2, updates: 6 } },
    });
    const all = births(run);
    expect(all.length).toBeGreaterThan(3);
    for (const { child, parent } of all)
      expect(slotIndex(parent.slot)).toBe(((slotIndex(child.slot) + N - 2) % N) + 1);
    checkCounts(run, 6, true);
  });

  it("strandedUpdates counts death-birth events whose victim has no neighbour left", async () => {
    // A path 1 - 2 - 3 and nine agents without an edge: a drawn isolated agent is stranded.
    const matrix = Array.from({ length: N }, (_, i) =>
      Array.from({ length: N }, (_, j) => (Math.abs(i - j) === 1 && i < 3 && j < 3 ? 1 : 0)),
    );
    const run = await runDonor(dir.root, {
      seed: 1,
      generations: 2,
      minds: DISTINCT,
      graph: { type: "adjacency", matrix },
      donorGame: { update: { rule: "death-birth", updates: 10 } },
    });
    const stranded = run.metrics[0]!.strandedUpdates as number;
    // At most two of the path can be replaced (after the middle one, the ends have no neighbour).
    expect(stranded).toBeGreaterThanOrEqual(8);
    checkCounts(run, 10, true);
    for (const { child, parent } of births(run)) {
      expect(slotIndex(child.slot)).toBeLessThanOrEqual(3);
      expect(Math.abs(slotIndex(child.slot) - slotIndex(parent.slot))).toBe(1);
    }
  });

  it("the complete graph (well-mixed): death-birth replaces as many as it draws, parents anywhere", async () => {
    const run = await runDonor(dir.root, {
      seed: 2,
      generations: 3,
      minds: DISTINCT,
      donorGame: { update: { rule: "death-birth", updates: 5 } },
    });
    checkCounts(run, 5, true);
    expect(run.metrics[0]!.strandedUpdates).toBe(0);
    for (const { child, parent } of births(run)) {
      expect(child.params).toEqual(parent.params);
      expect(parent.slot).not.toBe(child.slot);
    }
  });
});

describe("config", () => {
  const error = (donorGame: Record<string, unknown>): ConfigError => {
    try {
      resolveConfig(
        {
          scenario: "donor-game",
          population: { size: 4, minds: [{ count: 4, policy: "defect" }] },
          donorGame,
        },
        SCENARIOS,
      );
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error("the config resolved");
  };

  it("names the field and the value of a bad update or learning", () => {
    expect(error({ learning: "nearby" }).message).toMatch(/donorGame\.learning: got "?nearby/);
    expect(error({ update: { rule: "death-birth", intensity: -1 } }).message).toMatch(
      /donorGame\.update\.intensity: got -1/,
    );
    expect(error({ update: { rule: "moran" } }).message).toMatch(/donorGame\.update\.rule: got/);
  });
});
