/**
 * The Donor Game on a network in the viewer (issue 12), in node: the reducer keeps the current
 * round's moves (drawn on the graph's edges until the next round starts) and each agent's giving
 * this generation (the "giving" node colouring), the same whatever the batching or scrubbing; the
 * network metrics are charted, null values included. Checked on a synthetic event sequence and on
 * a recorded sparse-graph run of the real CLI (schedule: graph on a Watts–Strogatz graph).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_VERSION, type AgoraEvent, type EventInput } from "../sim/core/events.js";
import {
  MAX_ROUND_MOVES,
  PUNISHMENT_COLOR,
  REFUSAL_COLOR,
  donorGameView,
  givingOf,
  roundMoves,
} from "../scenarios/donor-game/view.js";
import { fractionColor } from "../viewer/src/colors.js";
import { moveArrows } from "../viewer/src/graph/overlay.js";
import {
  NO_VALUE_COLOR,
  colorMeasures,
  colorMode,
  measureColor,
  measuresOf,
  sizeMeasures,
} from "../viewer/src/scenarios/measures.js";
import { reduce, reduceAll, type ViewerState } from "../viewer/src/state/reducer.js";
import { generationSeries } from "../viewer/src/state/selectors.js";
import { Timeline } from "../viewer/src/state/timeline.js";
import { tempDir } from "./support/llm-helpers.js";
import { recordSparseDonorRun } from "./support/sparse-donor-run.js";

const AT = "2026-01-01T00:00:00.000Z";
const MIND = { kind: "policy" as const, name: "constant" };
const IDS = ["g1-a1", "g1-a2", "g1-a3", "g1-a4"];

/** A synthetic Donor Game log on a 4-ring a1-a2-a3-a4-a1; `moves` after the agents. */
function log(moves: EventInput[]): AgoraEvent[] {
  const inputs: EventInput[] = [
    {
      type: "run-started",
      t: { generation: 1 },
      runId: "ring",
      scenario: "donor-game",
      seed: 1,
      configHash: "h",
      config: { donorGame: { endowment: 10 } },
      graph: {
        options: { type: "undirected" },
        nodes: IDS.map((key) => ({ key })),
        edges: IDS.map((a, i) => ({ source: a, target: IDS[(i + 1) % 4]!, undirected: true })),
      },
      graphStats: { nodes: 4, edges: 4 },
      agoraVersion: "0",
      time: [
        { key: "game", label: "game" },
        { key: "round", label: "round" },
      ],
    },
    ...IDS.map((id): EventInput => ({
      type: "agent-created",
      t: { generation: 1 },
      agent: { id, generation: 1, parents: [], mind: MIND, slot: id },
    })),
    ...moves,
  ];
  return inputs.map((e, seq) => ({ ...e, v: EVENT_VERSION, seq, at: AT }) as AgoraEvent);
}

function move(
  t: { generation: number; game: number; round: number },
  kind: string,
  from: string,
  to: string,
  fraction: number,
  extra: Record<string, unknown> = {},
): EventInput {
  return {
    type: "interaction",
    t,
    kind,
    from,
    to,
    mind: MIND,
    data: { amount: 10 * fraction, fraction, received: 20 * fraction, ...extra },
  };
}

const r = (generation: number, game: number, round: number) => ({ generation, game, round });

/**
 * Generation 1: round 1 (game 1: a1 gives half to a2, a3 punishes a4; game 2, reversed: a2 gives
 * everything to a1, a4 refuses a3), a strategy revision, round 2 (a1 gives a quarter to a4, a2's
 * fallback to a3). Generation 2, round 1: a1 gives everything to a2.
 */
const EVENTS = log([
  move(r(1, 1, 1), "donation", "g1-a1", "g1-a2", 0.5),
  move(r(1, 1, 1), "punishment", "g1-a3", "g1-a4", 0),
  move(r(1, 2, 1), "donation", "g1-a2", "g1-a1", 1),
  move(r(1, 2, 1), "refusal", "g1-a4", "g1-a3", 0),
  {
    type: "interaction",
    t: { generation: 1 },
    kind: "strategy-revised",
    from: "g1-a2",
    to: null,
    mind: MIND,
    data: { strategy: "give more" },
  },
  move(r(1, 1, 2), "donation", "g1-a1", "g1-a4", 0.25),
  move(r(1, 1, 2), "donation", "g1-a2", "g1-a3", 0, { fallback: true }),
  move(r(2, 1, 1), "donation", "g1-a1", "g1-a2", 1),
]);
/** Seq of the first move (after run-started and four agent-created). */
const FIRST = 5;

const highlighted = (state: ViewerState) =>
  donorGameView.moveHighlights(state)?.edges.map((e) => [e.from, e.to, e.color]) ?? [];
const giving = (state: ViewerState) =>
  Object.fromEntries(IDS.map((id) => [id, givingOf(state, id)]));

describe("Donor Game moves on the graph (reducer)", () => {
  it("highlights the current round's moves of both games, arrows from donor to recipient", () => {
    const round1 = reduceAll(EVENTS.slice(0, FIRST + 4));
    expect(highlighted(round1)).toEqual([
      ["g1-a1", "g1-a2", fractionColor(0.5)],
      ["g1-a3", "g1-a4", PUNISHMENT_COLOR],
      ["g1-a2", "g1-a1", fractionColor(1)],
      ["g1-a4", "g1-a3", REFUSAL_COLOR],
    ]);
    const h = donorGameView.moveHighlights(round1)!;
    expect(h.label).toBe("generation 1, round 1");
    expect(h.omitted).toBe(0);
    // Thicker the more a donation gives.
    expect(h.edges[2]!.width).toBeGreaterThan(h.edges[0]!.width);
    // On the graph: from the donor's place to the recipient's.
    expect(moveArrows(h, round1).map((a) => [a.from, a.to])).toEqual([
      ["g1-a1", "g1-a2"],
      ["g1-a3", "g1-a4"],
      ["g1-a2", "g1-a1"],
      ["g1-a4", "g1-a3"],
    ]);
    // A strategy revision is no move: the round stays.
    expect(highlighted(reduceAll(EVENTS.slice(0, FIRST + 5)))).toEqual(highlighted(round1));
  });

  it("clears the round's moves when the next round (or generation) starts", () => {
    const round2 = reduceAll(EVENTS.slice(0, FIRST + 6));
    expect(highlighted(round2)).toEqual([["g1-a1", "g1-a4", fractionColor(0.25)]]);
    expect(donorGameView.moveHighlights(round2)!.label).toBe("generation 1, round 2");
    const next = reduceAll(EVENTS);
    expect(highlighted(next)).toEqual([["g1-a1", "g1-a2", fractionColor(1)]]);
    expect(donorGameView.moveHighlights(next)!.label).toBe("generation 2, round 1");
    // Before any move: nothing to draw.
    expect(donorGameView.moveHighlights(reduceAll(EVENTS.slice(0, FIRST)))).toBeNull();
  });

  it("names the classic payoff's moves cooperation and defection", () => {
    const legend = (config: unknown) => {
      const events = EVENTS.slice(0, FIRST + 1).map((e) =>
        e.type === "run-started" ? { ...e, config } : e,
      );
      return donorGameView.moveHighlights(reduceAll(events))!.legend.map((l) => l.label);
    };
    expect(legend({ donorGame: { payoff: "classic" } }).slice(0, 2)).toEqual([
      "defected",
      "cooperated (thicker)",
    ]);
    expect(legend({ donorGame: { payoff: "resources" } }).slice(0, 2)).toEqual([
      "gave 0%",
      "100% (thicker)",
    ]);
  });

  it("is the same picture whatever the batching, and when scrubbed back", () => {
    for (let k = FIRST; k < EVENTS.length; k++) {
      const whole = reduceAll(EVENTS.slice(0, k + 1));
      let stepwise = reduceAll([]);
      for (const event of EVENTS.slice(0, k + 1)) stepwise = reduce(stepwise, [event]);
      expect(stepwise.scenario, `seq ${k}`).toEqual(whole.scenario);
    }
    const timeline = new Timeline({ snapshotEvery: 3, minSnapshotGap: 1 });
    for (const event of EVENTS) timeline.append([event]);
    expect(highlighted(timeline.stateAt(FIRST + 3))).toEqual(
      highlighted(reduceAll(EVENTS.slice(0, FIRST + 4))),
    );
    // The previous state is never mutated by the next batch.
    const before = reduceAll(EVENTS.slice(0, FIRST + 2));
    const frozen = JSON.stringify(before.scenario);
    const [moves, gave] = [highlighted(before), giving(before)];
    reduce(before, EVENTS.slice(FIRST + 2));
    expect(JSON.stringify(before.scenario)).toBe(frozen);
    // (The giving tally's maps do not show in JSON.)
    expect([highlighted(before), giving(before)]).toEqual([moves, gave]);
  });

  it("keeps at most MAX_ROUND_MOVES moves of a round and counts the rest", () => {
    const many = Array.from({ length: MAX_ROUND_MOVES + 5 }, (_, i) =>
      move(r(1, 1, 1), "donation", IDS[i % 4]!, IDS[(i + 1) % 4]!, 0.5),
    );
    const state = reduceAll(log(many));
    const h = donorGameView.moveHighlights(state)!;
    expect([h.edges.length, h.omitted]).toEqual([MAX_ROUND_MOVES, 5]);
    expect(roundMoves(state).total).toBe(MAX_ROUND_MOVES + 5);
  });
});

describe("Donor Game giving (node colours)", () => {
  it("is each agent's mean share given over its answered moves of the viewed generation", () => {
    expect(giving(reduceAll(EVENTS.slice(0, FIRST)))).toEqual({
      "g1-a1": null,
      "g1-a2": null,
      "g1-a3": null,
      "g1-a4": null,
    });
    // a1: 0.5 then 0.25; a2: 1 (its fallback is no choice); a3 punished, a4 refused: 0.
    const end1 = reduceAll(EVENTS.slice(0, FIRST + 7));
    expect(giving(end1)).toEqual({ "g1-a1": 0.375, "g1-a2": 1, "g1-a3": 0, "g1-a4": 0 });
    // A new generation starts from nothing.
    expect(giving(reduceAll(EVENTS))).toEqual({
      "g1-a1": 1,
      "g1-a2": null,
      "g1-a3": null,
      "g1-a4": null,
    });
  });

  it("is a colour option of the graph (red to green, grey without a move), not a size", () => {
    const state = reduceAll(EVENTS.slice(0, FIRST + 7));
    const measures = measuresOf(donorGameView, state);
    expect(colorMeasures(measures).map((m) => m.id)).toEqual(["giving"]);
    expect(sizeMeasures(measures).map((m) => m.id)).not.toContain("giving");
    const coloring = colorMode("giving", measures);
    expect(coloring.key).toBe("giving");
    const colors = IDS.map((id) => measureColor(coloring.measure!.value(state.agents[id]!, state)));
    expect(colors).toEqual([
      fractionColor(0.375),
      fractionColor(1),
      fractionColor(0),
      fractionColor(0),
    ]);
    expect(measureColor(null)).toBe(NO_VALUE_COLOR);
    // The fixed colourings stay; an id this view does not offer falls back on families.
    expect(colorMode("model", measures).mode).toBe("model");
    expect(colorMode("accuracy", measures)).toMatchObject({ key: "family", mode: "family" });
  });
});

describe("Donor Game network metrics (charts)", () => {
  const NETWORK = [
    "isolatedAgents",
    "givingDegreeCorrelation",
    "givingAssortment",
    "cooperativeClusters",
    "largestCooperativeCluster",
    "strandedUpdates",
  ];

  it("are charted when a run reports them, and nulls leave gaps", () => {
    const charts = donorGameView.generationCharts(["avgFinalResources", ...NETWORK]);
    expect(
      charts.flatMap((c) => c.series.map((s) => s.key)).filter((k) => NETWORK.includes(k)),
    ).toEqual([
      "givingDegreeCorrelation",
      "givingAssortment",
      "cooperativeClusters",
      "largestCooperativeCluster",
      "isolatedAgents",
      "strandedUpdates",
    ]);
    expect(charts.find((c) => c.series.some((s) => s.key === "givingAssortment"))!.yRange).toEqual([
      -1, 1,
    ]);
    // Runs without them (logs from before) get no network chart.
    expect(donorGameView.generationCharts(["avgFinalResources"]).map((c) => c.id)).toEqual([
      "resources",
    ]);
    const metric = (generation: number, values: Record<string, number | null>): EventInput => ({
      type: "metric",
      t: { generation },
      scope: "generation",
      values,
    });
    const state = reduceAll(
      log([
        metric(1, { givingAssortment: null, cooperativeClusters: 2 }),
        metric(2, { givingAssortment: 0.25, cooperativeClusters: 1 }),
      ]),
    );
    expect(generationSeries(state, ["givingAssortment", "cooperativeClusters"])).toEqual([
      [1, 2],
      [null, 0.25],
      [2, 1],
    ]);
  });
});

describe("a recorded sparse-graph Donor Game run (schedule: graph)", () => {
  const tmp = tempDir("viewer-donor-network");
  let events: AgoraEvent[] = [];

  beforeAll(async () => {
    events = await recordSparseDonorRun(tmp.path, join(tmp.path, "run"));
  }, 120_000);

  afterAll(() => tmp.cleanup());

  it("draws every round's moves, and only them, on edges of the graph", () => {
    const state0 = reduceAll(events.slice(0, 1));
    const edges = new Set(
      state0.graph!.edges.flatMap((e) => [`${e.source}|${e.target}`, `${e.target}|${e.source}`]),
    );
    let state = state0;
    let checked = 0;
    for (let i = 1; i < events.length; i++) {
      const e = events[i]!;
      const next = events[i + 1];
      state = reduce(state, [e]);
      // The last move of a round: the picture holds exactly the round's moves.
      if (e.type !== "interaction" || e.to === null || e.kind === "strategy-revised") continue;
      if (next?.type === "interaction" && next.t.round === e.t.round) continue;
      const round = events.filter(
        (x) =>
          x.type === "interaction" &&
          x.kind !== "strategy-revised" &&
          x.t.generation === e.t.generation &&
          x.t.round === e.t.round,
      );
      const arrows = moveArrows(donorGameView.moveHighlights(state), state);
      expect(arrows.length).toBe(round.length);
      for (const a of arrows)
        expect(edges.has(`${a.from}|${a.to}`), `${a.from}->${a.to}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("colours each agent by the giving the scenario records for it at the generation's end", () => {
    let compared = 0;
    for (const [i, e] of events.entries()) {
      if (e.type !== "generation-ended") continue;
      const state = reduceAll(events.slice(0, i + 1));
      for (const row of e.agents ?? []) {
        const recorded = row.giving as number | null;
        const shown = givingOf(state, row.agentId as string);
        if (recorded === null) expect(shown).toBeNull();
        else expect(shown).toBeCloseTo(recorded, 12);
        compared++;
      }
    }
    expect(compared).toBe(3 * 16);
  });
});
