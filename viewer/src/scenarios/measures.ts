/**
 * Agent measures (ScenarioView.agentMeasures) as the core panels use them: the agents table's
 * columns, the graph's size menu and node sizes and colours, the node tooltip's lines. Pure.
 */
import { fractionColor } from "../colors.js";
import { fmtCompact, fmtNumber, fmtPct } from "../format.js";
import type { AgentState, ViewerState } from "../state/types.js";
import type { AgentMeasure, ScenarioView } from "./types.js";

const NONE: readonly AgentMeasure[] = [];

export function measuresOf(view: ScenarioView, state: ViewerState): readonly AgentMeasure[] {
  return view.agentMeasures?.(state) ?? NONE;
}

/** The measures offered as node sizes, in order. */
export function sizeMeasures(measures: readonly AgentMeasure[]): AgentMeasure[] {
  return measures.filter((m) => m.size !== false);
}

/** The measures shown as agents-table columns, with their headers. */
export function columnMeasures(
  measures: readonly AgentMeasure[],
): { measure: AgentMeasure; header: string }[] {
  return measures
    .filter((m) => m.column !== null)
    .map((measure) => ({ measure, header: measure.column ?? measure.label }));
}

/** The size measure chosen (`sizeBy`), else the first one; null when the view offers none. */
export function chosenSize(
  sizes: readonly AgentMeasure[],
  sizeBy: string | null,
): AgentMeasure | null {
  return sizes.find((m) => m.id === sizeBy) ?? sizes[0] ?? null;
}

/**
 * An agent's node size value: the chosen measure, else (where the scenario does not report it) the
 * other size measures in order.
 */
export function sizeValue(
  agent: AgentState,
  state: ViewerState,
  chosen: AgentMeasure | null,
  sizes: readonly AgentMeasure[],
): number | null {
  if (!chosen) return null;
  const first = chosen.value(agent, state);
  if (first !== null) return first;
  for (const m of sizes) {
    if (m === chosen) continue;
    const v = m.value(agent, state);
    if (v !== null) return v;
  }
  return null;
}

/** A measure's value as text: `compact` for table cells. */
export function fmtMeasure(measure: AgentMeasure, value: number | null, compact = false): string {
  if (measure.format === "percent") return fmtPct(value);
  return compact ? fmtCompact(value) : fmtNumber(value);
}

/** The graph's category colourings (the colour menu's fixed entries). */
export type CategoryMode = "family" | "policy" | "model";

/** A node without a value for the chosen colour measure (an agent that has not moved yet). */
export const NO_VALUE_COLOR = "#aeb4bd";

/** The measures offered as node colours (`color`), in order. */
export function colorMeasures(measures: readonly AgentMeasure[]): AgentMeasure[] {
  return measures.filter((m) => m.color === true);
}

/**
 * The colouring the colour option names: a category mode, else one of the view's colour measures,
 * else (an id another run's view offered) "family". `key` is the menu's value.
 */
export function colorMode(
  colorBy: string,
  measures: readonly AgentMeasure[],
):
  | { key: string; mode: CategoryMode; measure: null }
  | { key: string; mode: null; measure: AgentMeasure } {
  if (colorBy === "family" || colorBy === "policy" || colorBy === "model")
    return { key: colorBy, mode: colorBy, measure: null };
  const measure = colorMeasures(measures).find((m) => m.id === colorBy);
  return measure
    ? { key: measure.id, mode: null, measure }
    : { key: "family", mode: "family", measure: null };
}

/** A node's colour on a colour measure's red (0) to green (1) scale; grey without a value. */
export function measureColor(value: number | null): string {
  return value === null ? NO_VALUE_COLOR : fractionColor(value);
}
