/**
 * The viewer's other pure modules: scenario view discovery (scenarios/<id>/view.ts) and its generic
 * fallback, the neutral core's extension points (agent measures, inspector fields, scores, strategy
 * revisions) per scenario, the Donor Game's colouring, descriptions and derived resources, the
 * fixed graph layout, event summaries and mind labels.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { CategoryColors, fractionColor } from "../viewer/src/colors.js";
import { describeEvent } from "../viewer/src/describe.js";
import { describeMind } from "../viewer/src/format.js";
import { layoutGraph } from "../viewer/src/graph/layout.js";
import debateDefault, { debateView } from "../scenarios/debate/view.js";
import donorDefault, {
  classifyStrategy,
  deriveDonor,
  donorGameView,
  donorState,
  initialResources,
  resourceUpdates,
} from "../scenarios/donor-game/view.js";
import transmissionDefault, { transmissionView } from "../scenarios/transmission/view.js";
import {
  SCENARIO_VIEWS,
  VIEWS_BY_FOLDER,
  folderOf,
  genericView,
  viewFor,
} from "../viewer/src/scenarios/index.js";
import {
  chosenSize,
  columnMeasures,
  measuresOf,
  sizeMeasures,
  sizeValue,
} from "../viewer/src/scenarios/measures.js";
import { reduce, reduceAll } from "../viewer/src/state/reducer.js";
import { debateEvents, transmissionNetworkEvents } from "./support/viewer-fixtures.js";
import type { InteractionEntry } from "../viewer/src/state/types.js";

const at = "2026-01-01T00:00:00.000Z";

function donation(fraction: number, kind = "donation"): InteractionEntry {
  return {
    seq: 5,
    at,
    kind,
    from: "g1-a1",
    to: "g1-a2",
    mind: { kind: "policy", name: "constant" },
    t: { generation: 1, game: 1, round: 1 },
    data: {
      amount: 10 * fraction,
      fraction,
      received: 20 * fraction,
      donorBefore: 10,
      recipientBefore: 10,
      donorAfter: 10 - 10 * fraction,
      recipientAfter: 10 + 20 * fraction,
      justification: "j",
      fallback: false,
    },
  };
}

const ROOT = resolve(import.meta.dirname, "..");

describe("scenario views", () => {
  it("discovers every scenario folder's view.ts (nothing registered by hand), keyed by its scenario id", () => {
    const folders = readdirSync(join(ROOT, "scenarios")).filter((f) =>
      existsSync(join(ROOT, "scenarios", f, "view.ts")),
    );
    expect(folders).toEqual(expect.arrayContaining(["debate", "donor-game", "transmission"]));
    expect(Object.keys(VIEWS_BY_FOLDER).sort()).toEqual(folders.sort());
    // A built-in scenario's view has the folder's name as its id (the id run-started carries).
    for (const folder of folders) expect(VIEWS_BY_FOLDER[folder]!.id, folder).toBe(folder);
    expect(Object.keys(SCENARIO_VIEWS).sort()).toEqual(folders.sort());
    // The registry holds the modules' own default exports.
    expect(viewFor("donor-game")).toBe(donorDefault);
    expect(viewFor("debate")).toBe(debateDefault);
    expect(viewFor("transmission")).toBe(transmissionDefault);
    expect(donorDefault).toBe(donorGameView);
    expect(debateDefault).toBe(debateView);
    expect(transmissionDefault).toBe(transmissionView);
    expect(folderOf("../../../scenarios/public-goods/view.ts")).toBe("public-goods");
    expect(folderOf("../../../scenarios/debate/view/panel.tsx")).toBe("debate");
  });

  it("registers the Donor Game and falls back to the generic view for unknown scenarios (plugins)", () => {
    expect(viewFor("donor-game")).toBe(donorGameView);
    expect(viewFor("no-such-scenario")).toBe(genericView);
    expect(viewFor(undefined)).toBe(genericView);
    // Generic: one chart per numeric generation metric, LLM usage grouped elsewhere.
    const charts = genericView.generationCharts([
      "score",
      "diversity",
      "llmCalls",
      "cost",
      "llmTruncated",
      "llmContextExceeded",
    ]);
    expect(charts.map((c) => c.series.map((s) => s.key))).toEqual([["score"], ["diversity"]]);
    expect(genericView.roundChart(["x", "y"])?.metric).toBe("x");
    expect(genericView.roundChart([])).toBeNull();
  });

  it("Donor Game charts keep only the metrics a run reports", () => {
    const charts = donorGameView.generationCharts([
      "avgFinalResources",
      "avgDonationFraction",
      "punishmentRate",
    ]);
    expect(charts.map((c) => c.id)).toEqual(["resources", "cooperation"]);
    expect(charts[0]!.series.map((s) => s.key)).toEqual(["avgFinalResources"]);
    expect(charts[0]!.logToggle).toBe(true);
    expect(charts[1]!.series.map((s) => s.key)).toEqual(["avgDonationFraction", "punishmentRate"]);
  });

  it("colours donations by fraction and punishment and refusal apart", () => {
    expect(fractionColor(0)).toBe("#d62728");
    expect(fractionColor(1)).toBe("#2ca02c");
    expect(fractionColor(-3)).toBe(fractionColor(0));
    expect(fractionColor(Number.NaN)).toBe(fractionColor(0));
    const colors = new Set([
      donorGameView.interactionStyle(donation(0))!.color,
      donorGameView.interactionStyle(donation(1))!.color,
      donorGameView.interactionStyle(donation(0, "punishment"))!.color,
      donorGameView.interactionStyle(donation(0, "refusal"))!.color,
    ]);
    expect(colors.size).toBe(4);
    expect(donorGameView.interactionStyle(donation(0, "strategy-revised"))).toBeNull();
  });

  it("describes interactions from both sides and reads resources off them", () => {
    const entry = donation(0.5);
    expect(donorGameView.describeInteraction(entry)).toBe(
      "gave 5.00 (50%) to g1-a2; they received 10.00",
    );
    expect(donorGameView.describeInteraction(entry, "to")).toBe(
      "received 10.00 from g1-a1 (who gave 5.00, 50%)",
    );
    const event = { v: 1, type: "interaction", ...entry } as AgoraEvent & { type: "interaction" };
    expect(resourceUpdates(event)).toEqual([
      ["g1-a1", 5],
      ["g1-a2", 20],
    ]);
    expect(initialResources({ donorGame: { endowment: 10 } })).toBe(10);
    expect(initialResources(null)).toBeNull();
  });

  it("groups strategies into families", () => {
    expect(
      classifyStrategy("My strategy will be to give 50% of my resources to every recipient."),
    ).toBe("generous");
    expect(classifyStrategy("My strategy will be to give 10% of what I hold in every round.")).toBe(
      "moderate",
    );
    expect(classifyStrategy("My strategy will be to give nothing.")).toBe("defector");
    expect(
      classifyStrategy(
        "My strategy will be to give 60% if the recipient donated last round, else 0%.",
      ),
    ).toBe("conditional");
    expect(classifyStrategy("My strategy will be to punish those who defect.")).toBe("punisher");
    const agent = reduceAll([
      {
        v: 1,
        seq: 0,
        type: "run-started",
        t: { generation: 1 },
        at,
        runId: "r",
        scenario: "donor-game",
        seed: 1,
        configHash: "h",
        config: {},
        graph: { nodes: [{ key: "g1-a1" }], edges: [] },
        graphStats: {},
        agoraVersion: "0",
      },
      {
        v: 1,
        seq: 1,
        type: "agent-created",
        t: { generation: 1 },
        at,
        agent: {
          id: "g1-a1",
          generation: 1,
          parents: [],
          mind: { kind: "policy", name: "image-scoring", params: { punish: 0.3 } },
          slot: "g1-a1",
        },
      },
    ]).agents["g1-a1"]!;
    expect(donorGameView.strategyFamily(agent)).toBe("punisher");
    expect(genericView.strategyFamily(agent)).toBe("image-scoring");
  });

  it("labels policy minds as policies, never as LLMs", () => {
    expect(describeMind({ kind: "policy", name: "constant", params: { fraction: 0.5 } })).toBe(
      "policy (offline, not an LLM): constant — fraction 0.5",
    );
    expect(describeMind({ kind: "llm", name: "gpt", model: "gpt-4o" })).toBe(
      "LLM: profile gpt, model gpt-4o",
    );
  });

  it("assigns category colours in order of appearance, fixed ones first", () => {
    const colors = new CategoryColors({ defector: "#d62728" });
    const a = colors.get("x");
    expect(colors.get("defector")).toBe("#d62728");
    expect(colors.get("y")).not.toBe(a);
    expect(colors.get("x")).toBe(a);
  });

  it("summarises events for the log", () => {
    const event: AgoraEvent = {
      v: 1,
      seq: 9,
      type: "generation-ended",
      t: { generation: 3 },
      at,
      survivors: ["a", "b"],
      removed: ["c"],
      created: ["d"],
      scores: {},
    };
    expect(describeEvent(event, donorGameView)).toBe(
      "generation 3 ended: 2 survivors, 1 removed, 1 to be born",
    );
    const failed: AgoraEvent = {
      v: 1,
      seq: 10,
      type: "run-ended",
      t: { generation: 3 },
      at,
      status: "failed",
      error: "boom",
    };
    expect(describeEvent(failed, genericView)).toBe("run ended: failed — boom");
  });
});

describe("a neutral core: each scenario's words come from its view", () => {
  const debate = reduceAll(debateEvents());
  const network = reduceAll(transmissionNetworkEvents(3));
  const ids = (
    view: Parameters<typeof measuresOf>[0],
    state: Parameters<typeof measuresOf>[1],
  ) => ({
    columns: columnMeasures(measuresOf(view, state)).map((c) => c.header),
    sizes: sizeMeasures(measuresOf(view, state)).map((m) => m.label),
  });

  it("Donor Game: resources and last score as columns and sizes, resources per game in the inspector, scores, strategy revisions", () => {
    // Generation 1 after both games' donations.
    const state = reduceAll(donorEvents().slice(0, 5));
    expect(ids(donorGameView, state)).toEqual({
      columns: ["resources", "score", "giving"],
      sizes: ["resources", "last score"],
    });
    const sizes = sizeMeasures(measuresOf(donorGameView, state));
    expect(chosenSize(sizes, null)?.id).toBe("resources");
    expect(chosenSize(sizes, "score")?.id).toBe("score");
    // An id another scenario's view offered (a stale option) falls back on the first size.
    expect(chosenSize(sizes, "accuracy")?.id).toBe("resources");
    const a = state.agents["g1-a1"]!;
    // No score yet: sizing by score falls back on resources (mean over both games: (5 + 14) / 2).
    expect(sizeValue(a, state, chosenSize(sizes, "score"), sizes)).toBe(9.5);
    expect(donorGameView.inspectorFields(a, state)).toEqual([
      { id: "resources", label: "resources", value: "9.50", detail: "(game 1: 5, game 2: 14)" },
    ]);
    expect(donorGameView.scores.label).toBe("score");
    expect(donorGameView.roundChart([])?.seriesLabel?.(2)).toBe("game 2");
    expect(donorGameView.strategyRevision(donation(0.5))).toBeNull();
  });

  it("debate: accuracy (its scores) as the one column and size, no resources, no strategy revisions", () => {
    expect(ids(debateView, debate)).toEqual({ columns: ["accuracy"], sizes: ["accuracy"] });
    const accuracy = measuresOf(debateView, debate)[0]!;
    expect(accuracy.format).toBe("percent");
    expect(accuracy.value(debate.agents["g1-a1"]!, debate)).toBe(1);
    expect(debateView.scores.label).toBe("accuracy");
    expect(debateView.inspectorFields).toBeUndefined();
    expect(debateView.strategyRevision).toBeUndefined();
  });

  it("transmission: no measures (no size menu, no extra columns), no scores, no inspector fields, no round chart", () => {
    expect(ids(transmissionView, network)).toEqual({ columns: [], sizes: [] });
    expect(chosenSize(sizeMeasures(measuresOf(transmissionView, network)), null)).toBeNull();
    expect(transmissionView.scores).toBeUndefined();
    expect(transmissionView.inspectorFields).toBeUndefined();
    expect(transmissionView.roundChart([])).toBeNull();
  });

  it("generic: a score column and size only once the run has scored agents; round series labelled by t.game", () => {
    const started = reduceAll(donorEvents().slice(0, 3));
    expect(ids(genericView, started)).toEqual({ columns: [], sizes: [] });
    const scored = reduceAll([
      ...donorEvents().slice(0, 3),
      {
        v: 1,
        seq: 3,
        type: "generation-ended",
        t: { generation: 1 },
        at,
        survivors: ["g1-a1"],
        removed: [],
        created: [],
        scores: { "g1-a1": 4 },
      },
    ]);
    expect(ids(genericView, scored)).toEqual({ columns: ["score"], sizes: ["last score"] });
    expect(genericView.roundChart(["x"])?.seriesLabel).toBeUndefined();
  });

  it("a strategy-revised interaction is the Donor Game's: elsewhere it is an ordinary interaction", () => {
    const revise = (scenario: string) =>
      reduceAll([
        {
          v: 1,
          seq: 0,
          type: "run-started",
          t: { generation: 1 },
          at,
          runId: "r",
          scenario,
          seed: 1,
          configHash: "h",
          config: {},
          graph: { nodes: [{ key: "g1-a1" }], edges: [] },
          graphStats: {},
          agoraVersion: "0",
        },
        {
          v: 1,
          seq: 1,
          type: "agent-created",
          t: { generation: 1 },
          at,
          agent: {
            id: "g1-a1",
            generation: 1,
            parents: [],
            mind: { kind: "policy", name: "p" },
            slot: "g1-a1",
            strategy: "old",
          },
        },
        {
          v: 1,
          seq: 2,
          type: "interaction",
          t: { generation: 1 },
          at,
          kind: "strategy-revised",
          from: "g1-a1",
          to: null,
          mind: { kind: "policy", name: "p" },
          data: { strategy: "new", reasoning: "why" },
        },
      ]).agents["g1-a1"]!;
    const donor = revise("donor-game");
    expect([donor.strategy, donor.reasoning, donor.revisions, donor.given.length]).toEqual([
      "new",
      "why",
      1,
      0,
    ]);
    const other = revise("transmission");
    expect([other.strategy, other.reasoning, other.revisions, other.given.length]).toEqual([
      "old",
      null,
      0,
      1,
    ]);
  });

  it("Donor Game resources: the fold is pure, batching-independent and holds one generation", () => {
    const events = donorEvents();
    const entries = events.flatMap((e) =>
      e.type === "interaction"
        ? [
            {
              seq: e.seq,
              at: e.at,
              kind: e.kind,
              from: e.from,
              to: e.to,
              mind: e.mind,
              t: e.t,
              data: e.data,
            },
          ]
        : [],
    );
    const whole = deriveDonor(undefined, entries);
    let stepwise: unknown = undefined;
    for (const entry of entries) {
      const before = JSON.stringify(stepwise ?? null);
      const next = deriveDonor(stepwise, [entry]);
      // The previous value is never mutated.
      expect(JSON.stringify(stepwise ?? null)).toBe(before);
      stepwise = next;
    }
    expect(stepwise).toEqual(whole);
    expect(whole).toEqual({
      kind: "donor-game",
      generation: 2,
      levels: { "g1-a1": { 1: 7 }, "g1-a2": { 1: 7 } },
    });
    expect(deriveDonor(undefined, entries.slice(0, 2))).toEqual({
      kind: "donor-game",
      generation: 1,
      levels: { "g1-a1": { 1: 5, 2: 14 }, "g1-a2": { 1: 20, 2: 8 } },
    });
    // Through the reducer, in any batching.
    const one = reduceAll(events);
    let two = reduceAll([]);
    for (let i = 0; i < events.length; i += 2) two = reduce(two, events.slice(i, i + 2));
    expect(donorState(two)).toEqual(donorState(one));
    expect(donorState(one)).toEqual(whole);
  });
});

/** Two agents, two games of generation 1, then a donation in generation 2. */
function donorEvents(): AgoraEvent[] {
  const mind = { kind: "policy" as const, name: "constant" };
  const give = (
    seq: number,
    t: { generation: number; game: number; round: number },
    from: string,
    to: string,
    donorAfter: number,
    recipientAfter: number,
  ): AgoraEvent => ({
    v: 1,
    seq,
    type: "interaction",
    t,
    at,
    kind: "donation",
    from,
    to,
    mind,
    data: { amount: 1, fraction: 0.1, received: 2, donorAfter, recipientAfter },
  });
  return [
    {
      v: 1,
      seq: 0,
      type: "run-started",
      t: { generation: 1 },
      at,
      runId: "r",
      scenario: "donor-game",
      seed: 1,
      configHash: "h",
      config: { donorGame: { endowment: 10 } },
      graph: { nodes: [{ key: "g1-a1" }, { key: "g1-a2" }], edges: [] },
      graphStats: {},
      agoraVersion: "0",
    },
    {
      v: 1,
      seq: 1,
      type: "agent-created",
      t: { generation: 1 },
      at,
      agent: { id: "g1-a1", generation: 1, parents: [], mind, slot: "g1-a1" },
    },
    {
      v: 1,
      seq: 2,
      type: "agent-created",
      t: { generation: 1 },
      at,
      agent: { id: "g1-a2", generation: 1, parents: [], mind, slot: "g1-a2" },
    },
    give(3, { generation: 1, game: 1, round: 1 }, "g1-a1", "g1-a2", 5, 20),
    give(4, { generation: 1, game: 2, round: 1 }, "g1-a2", "g1-a1", 8, 14),
    give(5, { generation: 2, game: 1, round: 1 }, "g1-a1", "g1-a2", 7, 7),
  ];
}

describe("graph layout", () => {
  const ring = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);

  it("puts up to 30 slots on a circle in slot order", () => {
    const slots = ring(12);
    const pos = layoutGraph(slots, []);
    for (const slot of slots) expect(Math.hypot(pos[slot]!.x, pos[slot]!.y)).toBeCloseTo(1, 9);
    expect(pos.s0!.x).toBeCloseTo(0, 9);
    expect(pos.s0!.y).toBeCloseTo(-1, 9);
  });

  it("is deterministic, finite, within [-1, 1] and spreads big graphs out", () => {
    const slots = ring(300);
    const edges: [string, string][] = slots.map((s, i) => [s, slots[(i + 1) % slots.length]!]);
    const a = layoutGraph(slots, edges);
    const b = layoutGraph(slots, edges);
    expect(a).toEqual(b);
    let minDist = Infinity;
    const points = slots.map((s) => a[s]!);
    for (const p of points) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
      expect(Math.abs(p.x)).toBeLessThanOrEqual(1 + 1e-9);
      expect(Math.abs(p.y)).toBeLessThanOrEqual(1 + 1e-9);
    }
    for (let i = 0; i < points.length; i++)
      for (let j = i + 1; j < points.length; j++)
        minDist = Math.min(
          minDist,
          Math.hypot(points[i]!.x - points[j]!.x, points[i]!.y - points[j]!.y),
        );
    expect(minDist).toBeGreaterThan(0.01);
    // Beyond the force limit the spiral alone is used (still deterministic).
    const big = layoutGraph(ring(3000), []);
    expect(Object.keys(big)).toHaveLength(3000);
  });
});
