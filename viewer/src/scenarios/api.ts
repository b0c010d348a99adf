/**
 * What a scenario's view module (`scenarios/<id>/view.ts`) imports from the viewer core: the view
 * contract and the state it reads, and a few pure helpers. Pure and DOM-free, like the views
 * themselves (the reducer and node tests load them). Panels (`scenarios/<id>/view/panel.tsx`)
 * import React parts from ui.ts.
 */
export { defineView } from "./types.js";
export type {
  AgentMeasure,
  ChartSpec,
  DefinedView,
  InspectorField,
  InteractionStyle,
  LegendItem,
  MoveEdge,
  MoveHighlights,
  RoundChartSpec,
  ScenarioView,
  SeriesSpec,
  StrategyRevision,
} from "./types.js";
export type {
  AgentState,
  AgoraEvent,
  EventOf,
  GenerationRow,
  InteractionEntry,
  MindInfo,
  RoundRow,
  TimeCoords,
  ViewerState,
} from "../state/types.js";
export { CategoryColors, PALETTE, fractionColor } from "../colors.js";
export { fmtCompact, fmtNumber, fmtPct, truncate } from "../format.js";
export { currentAgents, latestScore } from "../state/selectors.js";
export { USAGE_METRICS, genericView } from "./generic.js";
