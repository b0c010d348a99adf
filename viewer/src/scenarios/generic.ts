/**
 * The fallback view for scenarios without a view module of their own (plugins from outside the
 * repository among them): one chart per numeric generation metric, the first round metric per
 * value of the outermost declared time coordinate, interactions drawn in one neutral colour,
 * agents grouped by mind, and the agents' last score (generation-ended's `scores`) as a column and
 * node size once the run has scored any.
 */
import { PALETTE } from "../colors.js";
import { latestScore } from "../state/selectors.js";
import type { ViewerState } from "../state/types.js";
import type { AgentMeasure, ScenarioView } from "./types.js";

/**
 * Engine-level metrics every scenario reports: the LLM usage chart and counters show them, so they
 * are not plotted one by one (a policy run would otherwise get empty "llmTruncated" charts).
 */
export const USAGE_METRICS = new Set([
  "llmCalls",
  "tokensIn",
  "tokensOut",
  "cost",
  "llmTruncated",
  "llmContextExceeded",
]);

/** The agents' last score (generation-ended's `scores`), the measure the generic view offers. */
export const LAST_SCORE: AgentMeasure = {
  id: "score",
  label: "last score",
  column: "score",
  value: (agent) => latestScore(agent),
};

/**
 * Whether any agent of the state has been scored (a generic run that scores no one shows no score
 * column).
 */
function anyScored(state: ViewerState): boolean {
  return Object.values(state.agents).some((agent) => Object.keys(agent.scores).length > 0);
}

export const genericView: ScenarioView = {
  id: "generic",
  title: "generic",
  generationCharts(keys) {
    return keys
      .filter((k) => !USAGE_METRICS.has(k))
      .map((key, i) => ({
        id: `metric-${key}`,
        title: key,
        series: [{ key, label: key, color: PALETTE[i % PALETTE.length]! }],
      }));
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
    return side === "to"
      ? `${entry.kind} from ${entry.from}`
      : `${entry.kind}${entry.to ? ` → ${entry.to}` : ""}`;
  },
  strategyFamily(agent) {
    return agent.mind ? agent.mind.name : "unknown";
  },
  familyColors: {},
  agentMeasures(state) {
    return anyScored(state) ? [LAST_SCORE] : [];
  },
  scores: { title: "Scores per generation", label: "score" },
};
