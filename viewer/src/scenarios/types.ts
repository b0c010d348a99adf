/**
 * A scenario's view module: everything in the viewer that differs between scenarios (which metrics
 * to chart, how to colour and size agents, which numbers the agents table and the inspector show,
 * what an interaction looks like and means). The viewer core (graph, inspector, charts, log) knows
 * no scenario: it asks the run's view. Pure data and functions, no DOM: the reducer uses the
 * hooks marked as such, the panels the rest, and node tests import view modules directly.
 *
 * A scenario's view lives in its own folder, `scenarios/<id>/view.ts` (default export, made with
 * `defineView`), and is discovered by the registry (index.ts); panels of its own go in
 * `scenarios/<id>/view/panel.tsx` (panels.tsx). A scenario without a view gets the generic one
 * (generic.ts).
 */
import type { AgentState, InteractionEntry, ViewerState } from "../state/types.js";

export interface SeriesSpec {
  key: string;
  label: string;
  color: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  series: SeriesSpec[];
  /** Offer a log-scale toggle (values must be positive). */
  logToggle?: boolean;
  /** A fixed y range, e.g. [0, 1] for rates. */
  yRange?: [number, number];
  /** How to print a value on the axis and in the legend. */
  format?: "number" | "percent" | "usd";
}

/**
 * The viewed generation's round metric chart, on the scenario's declared coordinates (run-started's
 * `time`): x = the innermost (rounds), one series per value of the outermost when there are two.
 */
export interface RoundChartSpec {
  title: string;
  metric: string;
  format?: ChartSpec["format"];
  /**
   * A series' legend label from its coordinate value (Donor Game: "game 2"); default: the
   * coordinate's label and value.
   */
  seriesLabel?(value: number): string;
}

export interface LegendItem {
  label: string;
  color: string;
}

export interface InteractionStyle {
  color: string;
  /** Edge thickness in pixels while flashing. */
  size: number;
}

/**
 * A number per agent at the viewed time (Donor Game: resources, last score; debate: accuracy): a
 * column of the agents table, a node size of the graph, a line of the node tooltip. A scenario
 * without measures gets none of these (no size menu, no extra columns).
 */
export interface AgentMeasure {
  /** Stable id: the size menu's option value and `data-size-by`, the column's `data-column`. */
  id: string;
  /** Its name in the size menu, the size legend and the node tooltip ("last score"). */
  label: string;
  /** The agents-table column header ("score"); default `label`; null: not a table column. */
  column?: string | null;
  /** Offered as a node size on the graph; default true. */
  size?: boolean;
  /** How to print it: a number (default) or a fraction as a percentage. */
  format?: "number" | "percent";
  /**
   * Offered as a node colouring in the graph's colour menu, on the red (0) → amber → green (1)
   * scale of `fractionColor` (the value is a fraction); default false.
   */
  color?: boolean;
  /**
   * The agent's value at the viewed state; null: unknown (the size falls back on the next size
   * measure).
   */
  value(agent: AgentState, state: ViewerState): number | null;
}

/** A line in the agent inspector ("resources: 9.50 (game 1: 9.00, game 2: 10.00)"). */
export interface InspectorField {
  /** Stable id: `data-testid="inspector-field-<id>"`. */
  id: string;
  label: string;
  value: string;
  /** Printed muted after the value. */
  detail?: string;
}

/** What an interaction that revises its actor's own strategy sets (reducer hook). */
export interface StrategyRevision {
  /**
   * The new strategy text; null: the agent states none (with `strategyUnusable` saying why);
   * absent: unchanged.
   */
  strategy?: string | null;
  /** Why the agent states no usable strategy; absent: it does (a previous reason is cleared). */
  strategyUnusable?: string;
  /** The reasoning behind it; absent: unchanged. */
  reasoning?: string;
}

/** One highlighted move on the graph: an arrow from actor to target (agent ids). */
export interface MoveEdge {
  from: string;
  to: string;
  color: string;
  /** Line width in pixels. */
  width: number;
}

/**
 * The moves the graph highlights at the viewed time (Donor Game: the current round's donations),
 * chosen by the reducer (`derive`), so live view and replay draw the same picture.
 */
export interface MoveHighlights {
  /** What they are ("generation 3, round 5"). */
  label: string;
  edges: readonly MoveEdge[];
  /** Moves of the step beyond those kept in `edges` (state bounds), 0 when all are kept. */
  omitted: number;
  legend: LegendItem[];
}

export interface ScenarioView {
  /** The scenario id (run-started's `scenario`) this view is for. */
  id: string;
  title: string;
  /** Charts over generation metrics, given the metric keys seen so far. */
  generationCharts(metricKeys: readonly string[]): ChartSpec[];
  /**
   * A chart over the viewed generation's round metrics, one series per value of the outermost
   * declared coordinate; null: none.
   */
  roundChart(metricKeys: readonly string[]): RoundChartSpec | null;
  /** How an interaction flashes on the graph; null draws nothing. */
  interactionStyle(entry: InteractionEntry): InteractionStyle | null;
  interactionLegend: LegendItem[];
  /**
   * One line describing an interaction from its actor's side ("gave 5.00 (50%) to g1-a11"), or
   * with `side: "to"` from its target's ("received 10.00 from g1-a3 (5.00, 50%)").
   */
  describeInteraction(entry: InteractionEntry, side?: "from" | "to"): string;
  /** A coarse grouping of agents by strategy, for colouring. */
  strategyFamily(agent: AgentState): string;
  /** Fixed colours for known families (others get palette colours). */
  familyColors: Record<string, string>;
  /**
   * The "family" colouring's name when `nodeCategory` replaces strategy families (e.g. "current
   * answer").
   */
  familyLabel?: string;
  /**
   * Colour category of an agent from the viewed state (e.g. its current answer); default
   * `strategyFamily`.
   */
  nodeCategory?(agent: AgentState, state: ViewerState): string;
  /**
   * Extra text for the node tooltip at the viewed time (e.g. the agent's latest text); null: none.
   */
  nodeTooltip?(agent: AgentState, state: ViewerState): string | null;
  /**
   * The agent measures of this view at the viewed state (agents-table columns, graph sizes, tooltip
   * lines), in order; the first size measure is the default node size. None: no size menu (every
   * node one size) and no columns beyond agent, mind and family.
   */
  agentMeasures?(state: ViewerState): readonly AgentMeasure[];
  /** Scenario lines in the agent inspector, under the agent's status. */
  inspectorFields?(agent: AgentState, state: ViewerState): InspectorField[];
  /**
   * What generation-ended's per-agent `scores` mean, for the inspector's per-generation table
   * (Donor Game: "score"; debate: accuracy). Absent: the scenario scores no agents (no table).
   */
  scores?: { title: string; label: string; format?: "number" | "percent" };
  /**
   * Reducer hook (pure): the strategy an interaction revises its actor to (Donor Game:
   * `strategy-revised`), or null for any other interaction. A revision updates the agent's
   * strategy and reasoning, counts in `revisions`, shows in the transcript tab, and is not one of
   * the agent's actions towards others.
   */
  strategyRevision?(entry: InteractionEntry): StrategyRevision | null;
  /**
   * Reducer hook (pure): scenario state derived from interactions, kept in `ViewerState.scenario`
   * (so it follows scrubbing and snapshots like the rest). Folds a batch's interactions into the
   * previous value (undefined at first) and returns a new value without mutating the old one.
   * Folding [a, b] must equal folding [a] then [b], and the value must stay bounded (it is part of
   * every scrubbing snapshot).
   */
  derive?(previous: unknown, entries: readonly InteractionEntry[]): unknown;
  /**
   * The moves to draw on the graph's edges until the next step replaces them, from the viewed
   * state (usually from `derive`'s state); null: none. Drawn on a canvas layer of the graph panel
   * whether or not the graph's edges are.
   */
  moveHighlights?(state: ViewerState): MoveHighlights | null;
}

/**
 * A view as `defineView` returns it: the contract's signatures, with the optional members it
 * defines required.
 */
export type DefinedView<V extends ScenarioView> = ScenarioView &
  Required<Pick<ScenarioView, Extract<keyof V, keyof ScenarioView>>>;

/**
 * Declares a scenario's view (the default export of `scenarios/<id>/view.ts`); checks its type,
 * returns it.
 */
export function defineView<V extends ScenarioView>(view: V): DefinedView<V> {
  return view as unknown as DefinedView<V>;
}

/** Whether a module's export is a scenario view (what discovery accepts). */
export function isScenarioView(value: unknown): value is ScenarioView {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<ScenarioView>;
  return (
    typeof v.id === "string" &&
    typeof v.generationCharts === "function" &&
    typeof v.describeInteraction === "function" &&
    typeof v.strategyFamily === "function"
  );
}
