/**
 * Pure derivations from a ViewerState for the panels: chart series, agents' latest scores, event
 * filters. DOM-free (node tests import it).
 */
import type { AgentState, AgoraEvent, ViewerState } from "./types.js";
import { roundAxes } from "./time.js";

/** uPlot's aligned data: x values first, then one array per series (null = gap). */
export type Aligned = [number[], ...(number | null)[][]];

/** Generation metric series: x = generations, one array per key. */
export function generationSeries(state: ViewerState, keys: readonly string[]): Aligned {
  const rows = state.generationMetrics;
  const x = rows.map((r) => r.generation);
  const ys = keys.map((k) => rows.map((r) => finite(r.values[k])));
  return [x, ...ys];
}

/** Every numeric generation metric key seen, in first-seen order. */
export function generationMetricKeys(state: Pick<ViewerState, "generationMetrics">): string[] {
  const keys = new Set<string>();
  for (const row of state.generationMetrics)
    for (const [k, v] of Object.entries(row.values))
      if (typeof v === "number" || v === null) keys.add(k);
  return [...keys];
}

export function roundMetricKeys(state: Pick<ViewerState, "roundMetrics">): string[] {
  const keys = new Set<string>();
  for (const row of state.roundMetrics) for (const k of Object.keys(row.values)) keys.add(k);
  return [...keys];
}

/**
 * A round metric of the state's round generation, on the scenario's declared coordinates: x = the
 * innermost coordinate (rounds), one series per value of the outermost (Donor Game: per game).
 * `xLabel` and `seriesLabel` name them by their declared labels.
 */
export function roundSeries(
  state: Pick<ViewerState, "roundMetrics" | "run">,
  metric: string,
): { series: number[]; data: Aligned; xLabel: string; seriesLabel: (value: number) => string } {
  const axes = roundAxes(state.run?.time ?? []);
  const series = [...new Set(state.roundMetrics.map((r) => r.series))].sort((a, b) => a - b);
  const xs = [...new Set(state.roundMetrics.map((r) => r.x))].sort((a, b) => a - b);
  const ys = series.map((value) =>
    xs.map((x) => {
      const row = state.roundMetrics.find((r) => r.series === value && r.x === x);
      return row ? finite(row.values[metric]) : null;
    }),
  );
  const seriesLabel = (value: number): string =>
    axes.series ? `${axes.series.label} ${value}` : metric;
  return { series, data: [xs, ...ys], xLabel: axes.x?.label ?? "round", seriesLabel };
}

/** LLM usage per generation: calls, tokens (in + out), cost, and cumulative cost. */
export function usageSeries(state: ViewerState): Aligned {
  const rows = state.llmByGeneration;
  let cumulative = 0;
  return [
    rows.map((r) => r.generation),
    rows.map((r) => r.calls),
    rows.map((r) => r.tokensIn + r.tokensOut),
    rows.map((r) => {
      cumulative += r.cost;
      return cumulative;
    }),
  ];
}

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The agent's latest score (the most recent generation it was scored in). */
export function latestScore(agent: AgentState): number | null {
  let best: number | null = null;
  let bestGen = -Infinity;
  for (const [g, score] of Object.entries(agent.scores)) {
    const gen = Number(g);
    if (gen > bestGen) {
      bestGen = gen;
      best = score;
    }
  }
  return best;
}

/** The agents occupying slots now, in slot order. */
export function currentAgents(state: ViewerState): AgentState[] {
  const out: AgentState[] = [];
  for (const slot of state.slots) {
    const id = state.slotAgent[slot];
    const agent = id !== undefined ? state.agents[id] : undefined;
    if (agent) out.push(agent);
  }
  return out;
}

export interface LogFilter {
  /** Matches the agent anywhere it appears (agentId, from, to, agent.id). Empty: any. */
  agent: string;
  /** An event type, or "interaction:<kind>". Empty: any. */
  type: string;
  /** A generation number as text. Empty: any. */
  generation: string;
}

export function eventAgents(event: AgoraEvent): string[] {
  switch (event.type) {
    case "agent-created":
      return [event.agent.id, ...event.agent.parents];
    case "interaction":
      return event.to === null ? [event.from] : [event.from, event.to];
    case "llm-call":
    case "parse-failure":
      return [event.agentId];
    case "generation-ended":
      return [...event.survivors, ...event.removed, ...event.created];
    default:
      return [];
  }
}

export function matchesFilter(event: AgoraEvent, filter: LogFilter): boolean {
  if (filter.generation !== "" && String(event.t.generation) !== filter.generation.trim())
    return false;
  if (filter.type !== "") {
    if (filter.type.startsWith("interaction:")) {
      if (event.type !== "interaction" || event.kind !== filter.type.slice("interaction:".length))
        return false;
    } else if (event.type !== filter.type) return false;
  }
  if (filter.agent.trim() !== "" && !eventAgents(event).includes(filter.agent.trim())) return false;
  return true;
}

/** The newest `limit` events of the log ring that match, newest first. */
export function filterLog(
  log: readonly AgoraEvent[],
  filter: LogFilter,
  limit: number,
): AgoraEvent[] {
  const out: AgoraEvent[] = [];
  for (let i = log.length - 1; i >= 0 && out.length < limit; i--) {
    const event = log[i]!;
    if (matchesFilter(event, filter)) out.push(event);
  }
  return out;
}
