/**
 * The viewer's one store (zustand/vanilla): connection state, runs list, selected run, the reducer
 * state (live head and the viewed state, which differs while scrubbing) and view options. The
 * socket client (net/client.ts) feeds it; React panels read it with `useViewer(selector)`.
 *
 * The heavy panels (graph, agents, charts, event log) render `shown`: the viewed state at most
 * every PANEL_INTERVAL_MS, the same state for all of them, so a stream of updates costs one React
 * commit (one layout and paint) per interval rather than one per panel timer, and no render in
 * between.
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { RunStateMessage, RunSummary } from "./net/protocol.js";
import { initialState } from "./state/reducer.js";
import type { LogFilter } from "./state/selectors.js";
import type { ViewerState } from "./state/types.js";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface ViewOptions {
  /**
   * The node size: an agent measure's id of the run's view (ScenarioView.agentMeasures); null: its
   * first.
   */
  sizeBy: string | null;
  /**
   * The node colour: "family", "policy", "model", or the id of a colour measure of the run's view
   * (an AgentMeasure with `color`, e.g. the Donor Game's giving); an id the view does not offer is
   * "family".
   */
  colorBy: string;
  logScale: boolean;
  showLineage: boolean;
  /** Draw the social graph's edges; null: only if there are at most a few thousand. */
  showEdges: boolean | null;
  /** Draw the current step's moves on the graph (ScenarioView.moveHighlights). */
  showMoves: boolean;
}

export interface SubscriptionState {
  status: "idle" | "subscribing" | "subscribed" | "error";
  error: string | null;
  live: boolean;
}

export interface ViewerStore {
  connection: ConnectionState;
  connectionError: string | null;
  /** How often the connection has been re-established (resumes from the last seq). */
  reconnects: number;
  runs: RunSummary[] | null;
  runsError: string | null;
  selectedRunId: string | null;
  subscription: SubscriptionState;
  runState: RunStateMessage | null;
  controlError: string | null;
  /** The live head: every event received so far applied. */
  head: ViewerState;
  /** What the panels show: the head, or the state at `scrubSeq`. */
  view: ViewerState;
  /** `view` as the heavy panels render it: refreshed at most every PANEL_INTERVAL_MS. */
  shown: ViewerState;
  /** null follows the live head. */
  scrubSeq: number | null;
  /** Earliest seq the scrubber can reach (history retained). */
  minSeq: number;
  selectedAgentId: string | null;
  options: ViewOptions;
  logFilter: LogFilter;
}

export function initialStore(): ViewerStore {
  const empty = initialState();
  return {
    connection: "connecting",
    connectionError: null,
    reconnects: 0,
    runs: null,
    runsError: null,
    selectedRunId: null,
    subscription: { status: "idle", error: null, live: false },
    runState: null,
    controlError: null,
    head: empty,
    view: empty,
    shown: empty,
    scrubSeq: null,
    minSeq: 0,
    selectedAgentId: null,
    options: {
      sizeBy: null,
      colorBy: "family",
      logScale: false,
      showLineage: true,
      showEdges: null,
      showMoves: true,
    },
    logFilter: { agent: "", type: "", generation: "" },
  };
}

export const store = createStore<ViewerStore>(() => initialStore());

/**
 * How often the heavy panels follow `view`. The first change after a quiet spell shows at once
 * (clicks and scrubbing stay immediate); changes within the interval show together at its end.
 */
export const PANEL_INTERVAL_MS = 250;
let shownAt = Number.NEGATIVE_INFINITY;
let showTimer: ReturnType<typeof setTimeout> | null = null;

function showView(): void {
  showTimer = null;
  shownAt = performance.now();
  const { view, shown } = store.getState();
  if (view !== shown) store.setState({ shown: view });
}

store.subscribe((s) => {
  if (s.view === s.shown || showTimer !== null) return;
  const wait = shownAt + PANEL_INTERVAL_MS - performance.now();
  if (wait <= 0) showView();
  else showTimer = setTimeout(showView, wait);
});

export function useViewer<T>(selector: (s: ViewerStore) => T): T {
  return useStore(store, selector);
}

export function setOption<K extends keyof ViewOptions>(key: K, value: ViewOptions[K]): void {
  store.setState((s) => ({ options: { ...s.options, [key]: value } }));
}

export function selectAgent(id: string | null): void {
  store.setState({ selectedAgentId: id });
}

export function setLogFilter(patch: Partial<LogFilter>): void {
  store.setState((s) => ({ logFilter: { ...s.logFilter, ...patch } }));
}
