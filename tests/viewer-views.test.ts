/**
 * The viewer's other pure modules: scenario view registry and its generic fallback, the Donor
 * Game's colouring and descriptions, the fixed graph layout, event summaries and mind labels.
 */
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { CategoryColors, fractionColor } from "../viewer/src/colors.js";
import { describeEvent } from "../viewer/src/describe.js";
import { describeMind } from "../viewer/src/format.js";
import { layoutGraph } from "../viewer/src/graph/layout.js";
import { classifyStrategy, donorGameView } from "../viewer/src/scenarios/donor-game.js";
import { genericView, viewFor } from "../viewer/src/scenarios/index.js";
import { reduceAll } from "../viewer/src/state/reducer.js";
import type { InteractionEntry } from "../viewer/src/state/types.js";

const at = "2026-01-01T00:00:00.000Z";

function donation(fraction: number, kind = "donation"): InteractionEntry {
  return {
    seq: 5,
    at,
    kind,
    from: "1_1",
    to: "1_2",
    mind: { kind: "policy", name: "constant" },
    t: { generation: 1, game: 1, round: 1 },
    data: { amount: 10 * fraction, fraction, received: 20 * fraction, donorBefore: 10, recipientBefore: 10, donorAfter: 10 - 10 * fraction, recipientAfter: 10 + 20 * fraction, justification: "j", fallback: false },
  };
}

describe("scenario views", () => {
  it("registers the Donor Game and falls back to the generic view for unknown scenarios", () => {
    expect(viewFor("donor-game")).toBe(donorGameView);
    expect(viewFor("no-such-scenario")).toBe(genericView);
    expect(viewFor(undefined)).toBe(genericView);
    // Generic: one chart per numeric generation metric, LLM usage grouped elsewhere.
    const charts = genericView.generationCharts(["score", "diversity", "llmCalls", "cost"]);
    expect(charts.map((c) => c.series.map((s) => s.key))).toEqual([["score"], ["diversity"]]);
    expect(genericView.roundChart(["x", "y"])?.metric).toBe("x");
    expect(genericView.roundChart([])).toBeNull();
  });

  it("Donor Game charts keep only the metrics a run reports", () => {
    const charts = donorGameView.generationCharts(["avgFinalResources", "avgDonationFraction", "punishmentRate"]);
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
    const colors = new Set([donorGameView.interactionStyle(donation(0))!.color, donorGameView.interactionStyle(donation(1))!.color, donorGameView.interactionStyle(donation(0, "punishment"))!.color, donorGameView.interactionStyle(donation(0, "refusal"))!.color]);
    expect(colors.size).toBe(4);
    expect(donorGameView.interactionStyle(donation(0, "strategy-revised"))).toBeNull();
  });

  it("describes interactions from both sides and reads resources off them", () => {
    const entry = donation(0.5);
    expect(donorGameView.describeInteraction(entry)).toBe("gave 5.00 (50%) to 1_2; they received 10.00");
    expect(donorGameView.describeInteraction(entry, "to")).toBe("received 10.00 from 1_1 (who gave 5.00, 50%)");
    const event = { v: 1, type: "interaction", ...entry } as AgoraEvent & { type: "interaction" };
    expect(donorGameView.resourceUpdates(event)).toEqual([
      ["1_1", 5],
      ["1_2", 20],
    ]);
    expect(donorGameView.initialResources({ donorGame: { endowment: 10 } })).toBe(10);
    expect(donorGameView.initialResources(null)).toBeNull();
  });

  it("groups strategies into families", () => {
    expect(classifyStrategy("My strategy will be to give 50% of my resources to every recipient.")).toBe("generous");
    expect(classifyStrategy("My strategy will be to give 10% of what I hold in every round.")).toBe("moderate");
    expect(classifyStrategy("My strategy will be to give nothing.")).toBe("defector");
    expect(classifyStrategy("My strategy will be to give 60% if the recipient donated last round, else 0%.")).toBe("conditional");
    expect(classifyStrategy("My strategy will be to punish those who defect.")).toBe("punisher");
    const agent = reduceAll([
      { v: 1, seq: 0, type: "run-started", t: { generation: 1 }, at, runId: "r", scenario: "donor-game", seed: 1, configHash: "h", config: {}, graph: { nodes: [{ key: "1_1" }], edges: [] }, graphStats: {}, agoraVersion: "0" },
      { v: 1, seq: 1, type: "agent-created", t: { generation: 1 }, at, agent: { id: "1_1", generation: 1, parents: [], mind: { kind: "policy", name: "image-scoring", params: { punish: 0.3 } }, slot: "1_1" } },
    ]).agents["1_1"]!;
    expect(donorGameView.strategyFamily(agent)).toBe("punisher");
    expect(genericView.strategyFamily(agent)).toBe("image-scoring");
  });

  it("labels policy minds as policies, never as LLMs", () => {
    expect(describeMind({ kind: "policy", name: "constant", params: { fraction: 0.5 } })).toBe("policy (offline, not an LLM): constant — fraction 0.5");
    expect(describeMind({ kind: "llm", name: "gpt", model: "gpt-4o" })).toBe("LLM: profile gpt, model gpt-4o");
  });

  it("assigns category colours in order of appearance, fixed ones first", () => {
    const colors = new CategoryColors({ defector: "#d62728" });
    const a = colors.get("x");
    expect(colors.get("defector")).toBe("#d62728");
    expect(colors.get("y")).not.toBe(a);
    expect(colors.get("x")).toBe(a);
  });

  it("summarises events for the log", () => {
    const event: AgoraEvent = { v: 1, seq: 9, type: "generation-ended", t: { generation: 3 }, at, survivors: ["a", "b"], removed: ["c"], created: ["d"], scores: {} };
    expect(describeEvent(event, donorGameView)).toBe("generation 3 ended: 2 survivors, 1 removed, 1 to be born");
    const failed: AgoraEvent = { v: 1, seq: 10, type: "run-ended", t: { generation: 3 }, at, status: "failed", error: "boom" };
    expect(describeEvent(failed, genericView)).toBe("run ended: failed — boom");
  });
});

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
    for (let i = 0; i < points.length; i++) for (let j = i + 1; j < points.length; j++) minDist = Math.min(minDist, Math.hypot(points[i]!.x - points[j]!.x, points[i]!.y - points[j]!.y));
    expect(minDist).toBeGreaterThan(0.01);
    // Beyond the force limit the spiral alone is used (still deterministic).
    const big = layoutGraph(ring(3000), []);
    expect(Object.keys(big)).toHaveLength(3000);
  });
});
