/**
 * The fallback view for scenarios without a module of their own: one chart per numeric generation
 * metric, every round metric per game, interactions drawn in one neutral colour, agents grouped by
 * mind. Scenarios such as debate or transmission add a module and register it in index.ts.
 */
import { PALETTE } from "../colors.js";
import type { ScenarioView } from "./types.js";

/** Engine-level metrics every scenario reports; grouped into the LLM usage chart, not plotted one by one. */
export const USAGE_METRICS = new Set(["llmCalls", "tokensIn", "tokensOut", "cost"]);

export const genericView: ScenarioView = {
  id: "generic",
  title: "generic",
  generationCharts(keys) {
    return keys
      .filter((k) => !USAGE_METRICS.has(k))
      .map((key, i) => ({ id: `metric-${key}`, title: key, series: [{ key, label: key, color: PALETTE[i % PALETTE.length]! }] }));
  },
  roundChart(keys) {
    const metric = keys[0];
    return metric ? { title: `${metric} by round (this generation)`, metric } : null;
  },
  interactionStyle() {
    return { color: "#4e79a7", size: 2 };
  },
  interactionLegend: [{ label: "interaction", color: "#4e79a7" }],
  describeInteraction(entry, side = "from") {
    return side === "to" ? `${entry.kind} from ${entry.from}` : `${entry.kind}${entry.to ? ` → ${entry.to}` : ""}`;
  },
  strategyFamily(agent) {
    return agent.mind ? agent.mind.name : "unknown";
  },
  familyColors: {},
  resourcesLabel: "resources",
  initialResources() {
    return null;
  },
  resourceUpdates() {
    return [];
  },
};
