/**
 * The transmission view module on event logs written from the transmission contract: texts per
 * agent per generation and the latest text (the node tooltip) at the viewed time, likely parents
 * and the word diff against them, the between-generation heatmap matrix, chain lanes, charts, and
 * the fold's purity, batching independence and bounds.
 */
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { viewFor } from "../viewer/src/scenarios/index.js";
import {
  MAX_GENERATIONS,
  MAX_TEXTS_PER_GENERATION,
  chainLanes,
  deriveTransmission,
  parentOf,
  similarityColor,
  similarityMatrix,
  textOf,
  textsOfAgent,
  transmissionState,
  transmissionView,
  wordDiff,
} from "../scenarios/transmission/view.js";
import { initialState, reduce, reduceAll } from "../viewer/src/state/reducer.js";
import { Timeline } from "../viewer/src/state/timeline.js";
import type { InteractionEntry } from "../viewer/src/state/types.js";
import {
  TX_AGENTS,
  transmissionChainEvents,
  transmissionNetworkEvents,
} from "./support/viewer-fixtures.js";

const network = transmissionNetworkEvents(4);
const netState = reduceAll(network);
const chains = reduceAll(transmissionChainEvents(3, 5));

const textData = (e: AgoraEvent): string => (e.type === "interaction" ? String(e.data.text) : "");

describe("transmission view: texts, parents and diffs", () => {
  it("is the registered view and keeps every agent's text per generation", () => {
    expect(viewFor("transmission")).toBe(transmissionView);
    const d = transmissionState(netState);
    expect(d.generations.map((g) => g.generation)).toEqual([1, 2, 3, 4]);
    expect(d.generations.every((g) => Object.keys(g.texts).length === TX_AGENTS.length)).toBe(true);
    const written = network.filter(
      (e) =>
        e.type === "interaction" && e.kind === "text" && e.from === "g1-a3" && e.t.generation === 3,
    );
    expect(textOf(d, "g1-a3", 3)?.text).toBe(textData(written[0]!));
    expect(textsOfAgent(d, "g1-a3").map((t) => t.generation)).toEqual([1, 2, 3, 4]);
    expect(textOf(d, "g1-a3", 3)?.inputs).toEqual(["g1-a2"]);
  });

  it("shows on hover the agent's latest text at the viewed time", () => {
    const endOfGen2 = network.findIndex(
      (e) => e.type === "generation-ended" && e.t.generation === 2,
    );
    const mid = reduceAll(network.slice(0, endOfGen2 + 1));
    const tip = transmissionView.nodeTooltip!(mid.agents["g1-a4"]!, mid)!;
    expect(tip.startsWith("generation 2: ")).toBe(true);
    expect(tip).toContain(textOf(transmissionState(netState), "g1-a4", 2)!.text);
    expect(transmissionView.nodeTooltip!(netState.agents["g1-a4"]!, netState)).toMatch(
      /^generation 4: /,
    );
    // No text yet: no tooltip line.
    const created = reduceAll(network.slice(0, 1 + TX_AGENTS.length));
    expect(transmissionView.nodeTooltip!(created.agents["g1-a1"]!, created)).toBeNull();
  });

  it("finds each text's likely parent and diffs the two word by word", () => {
    const d = transmissionState(netState);
    const child = textOf(d, "g1-a3", 3)!;
    const parent = parentOf(d, child)!;
    expect(parent.link).toEqual({ parent: "g1-a2", similarity: 0.6, parentGeneration: 2 });
    expect(parent.text?.agentId).toBe("g1-a2");
    expect(parent.text?.generation).toBe(2);
    expect(parentOf(d, textOf(d, "g1-a3", 1)!)).toBeNull();

    const diff = wordDiff("the quick brown fox jumps", "the slow brown fox leaps high");
    expect(diff.parts.filter((p) => p.kind === "removed").map((p) => p.text.trim())).toEqual([
      "quick",
      "jumps",
    ]);
    expect(diff.parts.filter((p) => p.kind === "added").map((p) => p.text.trim())).toEqual([
      "slow",
      "leaps high",
    ]);
    // Reassembling the kept and added parts gives the child, kept and removed the parent.
    expect(
      diff.parts
        .filter((p) => p.kind !== "removed")
        .map((p) => p.text)
        .join(""),
    ).toBe("the slow brown fox leaps high");
    expect(
      diff.parts
        .filter((p) => p.kind !== "added")
        .map((p) => p.text)
        .join(""),
    ).toBe("the quick brown fox jumps");
    expect(diff.truncated).toBe(false);
    expect(wordDiff("a ".repeat(5000), "b").truncated).toBe(true);
  });

  it("builds the symmetric between-generation similarity matrix from similarityToGen<k>", () => {
    const m = similarityMatrix(netState.generationMetrics);
    expect(m.generations).toEqual([1, 2, 3, 4]);
    expect(m.hidden).toBe(0);
    expect(m.cells[0]).toEqual([0.9, 0.65, 0.5, 0.35]);
    expect(m.cells[3]![1]).toBeCloseTo(0.5);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) expect(m.cells[i]![j]).toBe(m.cells[j]![i]);
    // A window keeps the last generations.
    const last = similarityMatrix(netState.generationMetrics, 2);
    expect(last.generations).toEqual([3, 4]);
    expect(last.hidden).toBe(2);
    expect(last.cells).toEqual([
      [0.9, 0.65],
      [0.65, 0.9],
    ]);
    expect(m.range).toEqual([0.35, 0.9]);
    expect(similarityColor(null)).not.toBe(similarityColor(0));
    expect(similarityColor(1)).toBe("rgb(8, 48, 107)");
    // Scaled to the matrix's range: its ends are white and dark blue.
    expect(similarityColor(0.9, [0.35, 0.9])).toBe(similarityColor(1));
    expect(similarityColor(0.35, [0.35, 0.9])).toBe(similarityColor(0));
    expect(similarityMatrix([]).range).toBeNull();
  });

  it("lays chains out as lanes, generation by generation, and none in network mode", () => {
    const { lanes, hiddenLanes } = chainLanes(transmissionState(chains));
    expect(lanes.map((l) => l.chain)).toEqual([0, 1, 2]);
    expect(hiddenLanes).toBe(0);
    expect(lanes[1]!.steps.map((s) => `${s.generation}:${s.agentId}`)).toEqual([
      "1:g1-a2",
      "2:g2-a2",
      "3:g3-a2",
      "4:g4-a2",
      "5:g5-a2",
    ]);
    const d = transmissionState(chains);
    expect(parentOf(d, lanes[2]!.steps[3]!)?.text?.agentId).toBe("g3-a3");
    const capped = chainLanes(d, 2, 3);
    expect(capped.hiddenLanes).toBe(1);
    expect(capped.lanes[0]!.steps.map((s) => s.generation)).toEqual([3, 4, 5]);
    expect(capped.lanes[0]!.hidden).toBe(2);
    expect(chainLanes(transmissionState(netState)).lanes).toEqual([]);
  });

  it("charts the text metrics, leaves similarityToGen<k> to the heatmap and flashes lineage", () => {
    const keys = Object.keys(netState.generationMetrics.at(-1)!.values).concat([
      "meanInputs",
      "attractorPosition",
      "cost",
    ]);
    const charts = transmissionView.generationCharts(keys);
    const ids = charts.map((c) => c.id);
    expect(ids).toEqual([
      "tx-similarity",
      "tx-diversity",
      "tx-change",
      "tx-clusters",
      "tx-sentiment",
      "tx-fog",
      "tx-words",
      "tx-chars",
      "tx-inputs",
      "metric-attractorPosition",
    ]);
    // Chain attractors: one strength chart over the metrics, one position chart (with its interval)
    // per metric.
    const attractor = transmissionView.generationCharts([
      "attractorFogStrength",
      "attractorFogPosition",
      "attractorFogPositionLo",
      "attractorFogSlope",
      "attractorWordsStrength",
      "attractorWordsStrengthHi",
    ]);
    expect(attractor.map((c) => [c.id, c.series.map((s) => s.key)])).toEqual([
      ["tx-attractor-strength", ["attractorFogStrength", "attractorWordsStrength"]],
      ["tx-attractor-fog", ["attractorFogPosition", "attractorFogPositionLo"]],
    ]);
    expect(
      charts
        .flatMap((c) => c.series.map((s) => s.key))
        .some((k) => k.startsWith("similarityToGen")),
    ).toBe(false);
    const lineage = transmissionState(netState);
    const entry = netState.interactions.find((e) => e.kind === "lineage")!;
    expect(transmissionView.interactionStyle(entry)).not.toBeNull();
    expect(transmissionView.describeInteraction(entry)).toMatch(
      /likely parent: g1-a\d \(generation 1, similarity 0\.\d+\)/,
    );
    expect(lineage.generations.length).toBe(4);
  });
});

describe("transmission view: the fold is pure, bounded and batching-independent", () => {
  it("scrubs: the derived state at any seq equals a from-scratch replay up to it", () => {
    const timeline = new Timeline({ snapshotEvery: 7, minSnapshotGap: 1 });
    for (let i = 0; i < network.length; i += 5) timeline.append(network.slice(i, i + 5));
    for (let k = 0; k < network.length; k += 3)
      expect(timeline.stateAt(k).scenario, `seq ${k}`).toEqual(
        reduceAll(network.slice(0, k + 1)).scenario,
      );
  });

  it("gives the same derived state one event at a time as all at once, never mutating earlier ones", () => {
    let s = initialState();
    const states = [];
    const frozen: string[] = [];
    for (const e of network) {
      s = reduce(s, [e]);
      states.push(s);
      frozen.push(JSON.stringify(s.scenario));
    }
    expect(s.scenario).toEqual(netState.scenario);
    states.forEach((st, i) => expect(JSON.stringify(st.scenario)).toBe(frozen[i]));
  });

  it("keeps the last MAX_GENERATIONS generations", () => {
    const entry = (generation: number): InteractionEntry => ({
      seq: generation,
      at: "",
      kind: "text",
      from: "a",
      to: null,
      mind: { kind: "policy", name: "p" },
      t: { generation },
      data: { text: `g${generation}` },
    });
    const d = deriveTransmission(
      undefined,
      Array.from({ length: MAX_GENERATIONS + 5 }, (_, i) => entry(i + 1)),
    );
    expect(d.generations).toHaveLength(MAX_GENERATIONS);
    expect(d.droppedGenerations).toBe(5);
    expect(d.generations[0]!.generation).toBe(6);
    expect(d.latest.a!.text).toBe(`g${MAX_GENERATIONS + 5}`);
    expect(deriveTransmission(d, [{ ...entry(1), kind: "donation" }])).toBe(d);
  });

  it("keeps at most MAX_TEXTS_PER_GENERATION texts per generation, across batches, still replacing kept ones", () => {
    const text = (agent: string, seq: number): InteractionEntry => ({
      seq,
      at: "",
      kind: "text",
      from: agent,
      to: null,
      mind: { kind: "policy", name: "p" },
      t: { generation: 1 },
      data: { text: `${agent}#${seq}` },
    });
    const first = Array.from({ length: MAX_TEXTS_PER_GENERATION - 1 }, (_, i) => text(`a${i}`, i));
    // Second batch: one new text fills the cap, two more are dropped, a kept agent's text is
    // replaced.
    const second = [text("new0", 5000), text("new1", 5001), text("a0", 5002), text("new2", 5003)];
    const batched = deriveTransmission(deriveTransmission(undefined, first), second);
    const g = batched.generations[0]!;
    expect(Object.keys(g.texts)).toHaveLength(MAX_TEXTS_PER_GENERATION);
    expect(g.dropped).toBe(2);
    expect(g.texts.new0).toBeDefined();
    expect(g.texts.new1).toBeUndefined();
    expect(g.texts.a0!.text).toBe("a0#5002");
    expect(deriveTransmission(undefined, [...first, ...second])).toEqual(batched);
  });
});
