/**
 * Issue 13: time coordinates and interaction kinds are declared by the scenario and carried by
 * run-started (event version 2); the viewer core charts and formats by the declared coordinates,
 * and still replays version 1 logs, whose `t.game` stood for the scenario's first coordinate.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EVENT_VERSION,
  type AgoraEvent,
  type EventInput,
  type TimeCoords,
} from "../sim/core/events.js";
import { defineScenario, scenarioProblem } from "../sim/core/scenario.js";
import { debate } from "../scenarios/debate/scenario.js";
import { donorGame } from "../scenarios/donor-game/scenario.js";
import { publicGoods } from "../scenarios/public-goods/scenario.js";
import { transmission } from "../scenarios/transmission/scenario.js";
import { questionKey } from "../scenarios/debate/view.js";
import { fmtTime } from "../viewer/src/format.js";
import { reduceAll } from "../viewer/src/state/reducer.js";
import { roundSeries } from "../viewer/src/state/selectors.js";

const base = {
  id: "tiny",
  configKey: "tiny",
  configSchema: z.object({}),
  policies: {},
  createPopulation: () => ({}),
  beginGeneration: () => ({ work: {}, steps: [] }),
  runStep: async () => {},
  endGeneration: () => ({
    population: {},
    metrics: {},
    agentRows: [],
    survivors: [],
    removed: [],
    created: [],
    scores: {},
  }),
};

describe("the scenario contract's time and interaction declarations", () => {
  it("defaults to none and keeps what a scenario declares", () => {
    const plain = defineScenario(base);
    expect(plain.time).toEqual([]);
    expect(plain.interactions).toEqual({});
    expect(donorGame.time.map((c) => c.key)).toEqual(["game", "round"]);
    expect(debate.time.map((c) => c.key)).toEqual(["question", "round"]);
    expect(transmission.time.map((c) => c.key)).toEqual(["chain"]);
    expect(publicGoods.time.map((c) => c.key)).toEqual(["round"]);
    expect(Object.keys(donorGame.interactions).sort()).toEqual([
      "donation",
      "punishment",
      "refusal",
      "strategy-revised",
    ]);
    expect(Object.keys(debate.interactions).sort()).toEqual([
      "answer",
      "judge",
      "summary",
      "survey",
    ]);
    expect(Object.keys(transmission.interactions).sort()).toEqual(["lineage", "text"]);
    expect(Object.keys(publicGoods.interactions)).toEqual(["contribution"]);
  });

  it("rejects coordinates that are not identifiers, the generation, duplicates, unlabelled ones and bad kinds", () => {
    const problem = (extra: Record<string, unknown>) => scenarioProblem({ ...base, ...extra });
    expect(
      problem({ time: [{ key: "season", label: "season" }], interactions: { trade: "a trade" } }),
    ).toBeNull();
    expect(problem({ time: "round" })).toMatch(/time must be a list/);
    expect(problem({ time: [{ key: "a-b", label: "x" }] })).toMatch(/not an identifier/);
    expect(problem({ time: [{ key: "generation", label: "generation" }] })).toMatch(
      /"generation" is the engine's/,
    );
    expect(
      problem({
        time: [
          { key: "day", label: "day" },
          { key: "day", label: "day" },
        ],
      }),
    ).toMatch(/declared twice/);
    expect(problem({ time: [{ key: "day" }] })).toMatch(/needs a label/);
    expect(problem({ interactions: ["trade"] })).toMatch(/interactions must be a record/);
    expect(problem({ interactions: { trade: 1 } })).toMatch(/needs a description/);
    expect(() => defineScenario({ ...base, time: [{ key: "generation", label: "g" }] })).toThrow(
      /defineScenario/,
    );
  });
});

/** A small stream of a scenario with two coordinates of its own (season, day). */
function seasonsRun(): AgoraEvent[] {
  const inputs: EventInput[] = [
    {
      type: "run-started",
      t: { generation: 1 },
      runId: "r",
      scenario: "seasons",
      seed: 1,
      configHash: "h",
      config: {},
      graph: { nodes: [{ key: "a" }, { key: "b" }], edges: [] },
      graphStats: {},
      agoraVersion: "0",
      time: [
        { key: "season", label: "season" },
        { key: "day", label: "day" },
      ],
      interactions: { trade: "a trade" },
    },
  ];
  for (const season of [1, 2]) {
    for (const day of [1, 2, 3]) {
      inputs.push({
        type: "interaction",
        t: { generation: 1, season, day },
        kind: "trade",
        from: "a",
        to: "b",
        mind: { kind: "policy", name: "p" },
        data: {},
      });
      inputs.push({
        type: "metric",
        t: { generation: 1, season, day },
        scope: "round",
        values: { volume: season * 10 + day },
      });
    }
  }
  return inputs.map((e, seq) => ({ ...e, v: EVENT_VERSION, seq, at: "" }) as AgoraEvent);
}

describe("the viewer core on declared coordinates", () => {
  it("round rows, round series and time formatting follow a scenario's own coordinates", () => {
    const state = reduceAll(seasonsRun());
    expect(state.run?.time).toEqual([
      { key: "season", label: "season" },
      { key: "day", label: "day" },
    ]);
    expect(state.run?.interactions).toEqual({ trade: "a trade" });
    expect(state.roundMetrics.map((r) => [r.series, r.x])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
    const series = roundSeries(state, "volume");
    expect(series.series).toEqual([1, 2]);
    expect(series.data).toEqual([
      [1, 2, 3],
      [11, 12, 13],
      [21, 22, 23],
    ]);
    expect(series.xLabel).toBe("day");
    expect(series.seriesLabel(2)).toBe("season 2");
    expect(fmtTime(state.interactions[0]!.t, state.run?.time)).toBe("g1·season 1·day 1");
    // Undeclared coordinates are still shown, by key; without declarations, in the event's order.
    expect(fmtTime({ generation: 3, day: 2, extra: 7 }, state.run?.time)).toBe("g3·day 2·extra 7");
    expect(fmtTime({ generation: 2, question: 0, round: 1 })).toBe("g2·question 0·round 1");
  });
});

const fixture = (name: string): AgoraEvent[] =>
  readFileSync(join(__dirname, "fixtures", "v1", name), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AgoraEvent);

/** A version 1 log as version 2 writes it: `t.game` renamed, the declarations on run-started. */
function upgraded(
  events: readonly AgoraEvent[],
  coordinate: string,
  declared: {
    time: readonly { key: string; label: string }[];
    interactions: Readonly<Record<string, string>>;
  },
): AgoraEvent[] {
  return events.map((e) => {
    const t: TimeCoords = { generation: e.t.generation };
    for (const [k, v] of Object.entries(e.t))
      if (k !== "generation") t[k === "game" ? coordinate : k] = v;
    const extra =
      e.type === "run-started"
        ? { time: declared.time.map((c) => ({ ...c })), interactions: { ...declared.interactions } }
        : {};
    return { ...e, ...extra, v: 2, t } as AgoraEvent;
  });
}

describe("version 1 logs still replay", () => {
  it("a recorded v1 debate: t.game is read as the question, as in the same run recorded as v2", () => {
    const v1 = fixture("debate-mad.events.jsonl");
    expect(v1[0]!.v).toBe(1);
    expect(v1.some((e) => e.t.game !== undefined)).toBe(true);
    const old = reduceAll(v1);
    const now = reduceAll(upgraded(v1, "question", debate));
    expect(old.run?.time).toEqual(debate.time);
    expect(old.roundMetrics).toEqual(now.roundMetrics);
    expect(old.interactions).toEqual(now.interactions);
    expect(old.scenario).toEqual(now.scenario);
    expect(old.log.map((e) => e.t)).toEqual(now.log.map((e) => e.t));
    // The questions are the series of the round chart, keyed by question in the debate view.
    const questions = [
      ...new Set(
        v1
          .filter(
            (e) =>
              e.type === "metric" && e.scope === "round" && e.t.generation === old.roundGeneration,
          )
          .map((e) => e.t.game),
      ),
    ];
    expect(roundSeries(old, "accuracy").series).toEqual(questions);
    expect(roundSeries(old, "accuracy").seriesLabel(0)).toBe("question 0");
    const answer = old.interactions.find((e) => e.kind === "answer")!;
    expect(answer.t.question).toBeTypeOf("number");
    expect(answer.t.game).toBeUndefined();
    expect(questionKey(answer.t)).toBe(`${answer.t.generation}:${answer.t.question}`);
  });

  it("a recorded v1 transmission run in chain mode: t.game is read as the chain", () => {
    const v1 = fixture("transmission-chains.events.jsonl");
    const old = reduceAll(v1);
    const now = reduceAll(upgraded(v1, "chain", transmission));
    expect(old.run?.time).toEqual(transmission.time);
    expect(old.interactions).toEqual(now.interactions);
    expect(old.scenario).toEqual(now.scenario);
    const text = old.interactions.find((e) => e.kind === "text")!;
    expect(fmtTime(text.t, old.run?.time)).toBe(`g${text.t.generation}·chain ${text.t.chain}`);
  });

  it("a v1 Donor Game log keeps its games", () => {
    const started = {
      v: 1,
      seq: 0,
      type: "run-started",
      t: { generation: 1 },
      at: "",
      runId: "r",
      scenario: "donor-game",
      seed: 1,
      configHash: "h",
      config: {},
      graph: { nodes: [{ key: "g1-a1" }], edges: [] },
      graphStats: {},
      agoraVersion: "0",
    } as AgoraEvent;
    const metric = (seq: number, game: number, round: number) =>
      ({
        v: 1,
        seq,
        type: "metric",
        t: { generation: 1, game, round },
        at: "",
        scope: "round",
        values: { avgDonationFraction: game * 10 + round },
      }) as AgoraEvent;
    const state = reduceAll([
      started,
      metric(1, 1, 1),
      metric(2, 2, 1),
      metric(3, 1, 2),
      metric(4, 2, 2),
    ]);
    const series = roundSeries(state, "avgDonationFraction");
    expect(series.series).toEqual([1, 2]);
    expect(series.seriesLabel(1)).toBe("game 1");
    expect(series.data).toEqual([
      [1, 2],
      [11, 12],
      [21, 22],
    ]);
  });
});
