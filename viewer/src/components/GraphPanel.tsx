/**
 * The society graph (sigma 3 over a graphology Graph built from run-started's graph). Nodes are
 * slots, laid out once per run (graph/layout.ts) and never moved: a newborn takes the slot of the
 * agent it replaces, so it appears exactly where that agent was; it is marked with a halo for the
 * generation it is born in, with lineage arrows from up to three parents (LLM newborns learn from
 * every survivor: with more parents only the halo is drawn, the inspector lists them all).
 * Interactions flash an arrow from actor to target for ~600 ms, coloured by the scenario's view;
 * the current step's moves the view highlights (the Donor Game's round) stay drawn as arrows on
 * their edges until the next step replaces them, live and in replay alike. Node sizes are the
 * view's agent measures (none: every node one size); node colours a category (strategy family,
 * policy, model) or a colour measure of the view on a red-to-green scale (Donor Game: giving).
 * Flashes and lineage arrows are drawn on canvas layers (graph/overlay.ts), not as graph edges:
 * sigma re-indexes everything whenever an edge is dropped. Node attributes are only written when
 * they change, so an idle society costs sigma nothing.
 *
 * Sigma layers with nothing to show are taken out of the page (display: none): sigma clears its
 * edge and hover layers on every render, and with software WebGL (no GPU) every cleared WebGL
 * canvas in the page is read back from the GPU process synchronously on the next frame, even an
 * empty one; a canvas out of the page is not.
 */
import Graph from "graphology";
import { useEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import Sigma from "sigma";
import {
  CategoryColors,
  fractionColor,
  LINEAGE_COLOR,
  POLICY_GREY,
  TOPOLOGY_EDGE,
} from "../colors.js";
import { describeMind, truncate } from "../format.js";
import { layoutGraph } from "../graph/layout.js";
import {
  createOverlay,
  drawFlashes,
  drawLineage,
  drawMoves,
  moveArrows,
  type Flash,
  type MoveArrow,
  type OverlayLayers,
} from "../graph/overlay.js";
import { viewFor } from "../scenarios/index.js";
import {
  chosenSize,
  colorMeasures,
  colorMode,
  fmtMeasure,
  measureColor,
  measuresOf,
  NO_VALUE_COLOR,
  sizeMeasures,
  sizeValue,
  type CategoryMode,
} from "../scenarios/measures.js";
import type { ScenarioView } from "../scenarios/types.js";
import type { AgentState, SerializedGraph, ViewerState } from "../state/types.js";
import { selectAgent, setOption, useViewer } from "../store.js";
import { MindBadge, Panel } from "./common.js";

const MAX_FLASHES = 300;
/** A jump larger than this (history loading, scrubbing far) flashes nothing. */
const MAX_FLASH_JUMP = 2000;
const EMPTY_SLOT = "#d5d8dd";
// Opaque: sigma's node program draws translucent colours unreliably; halos sit under their node.
const HALO_NEWBORN = "#d4c2f7";
const HALO_SELECTED = "#1f2937";

interface Rig {
  sigma: Sigma;
  graph: Graph;
  source: SerializedGraph;
  layers: OverlayLayers;
  flashes: Flash[];
  /** [parent slot, child slot] pairs drawn on the lineage layer. */
  lineage: [string, string][];
  /** The moves drawn on the moves layer. */
  moves: MoveArrow[];
  /** The moves layer is clear (scenarios without moves never touch it). */
  movesBlank: boolean;
  /** The flash layer is clear (nothing to erase when there are no flashes). */
  flashesBlank: boolean;
  /** Last attributes written per node key (writes are skipped when nothing changed). */
  written: Map<string, string>;
  lastSeq: number;
  totalFlashes: number;
  frame: number | null;
}

const HALO = "halo:";
const slotOf = (node: string): string => (node.startsWith(HALO) ? node.slice(HALO.length) : node);

/** Writes node attributes unless they are what was written last time; true if it wrote. */
function writeNode(rig: Rig, key: string, attrs: Record<string, unknown>): boolean {
  const signature = JSON.stringify(attrs);
  if (rig.written.get(key) === signature || !rig.graph.hasNode(key)) return false;
  rig.written.set(key, signature);
  rig.graph.mergeNodeAttributes(key, attrs);
  return true;
}

/** Shows or hides sigma's own layers (see the header: hidden layers cost nothing per render). */
function showLayers(sigma: Sigma, ids: readonly string[], show: boolean): void {
  const canvases = sigma.getCanvases();
  for (const id of ids) {
    const canvas = canvases[id];
    if (canvas) canvas.style.display = show ? "" : "none";
  }
}
const EDGE_LAYERS = ["edges", "edgeLabels"];
const HOVER_LAYERS = ["hovers", "hoverNodes"];

function sameLineage(a: readonly [string, string][], b: readonly [string, string][]): boolean {
  return a.length === b.length && a.every(([from, to], i) => b[i]![0] === from && b[i]![1] === to);
}

function sameMoves(a: readonly MoveArrow[], b: readonly MoveArrow[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => {
      const o = b[i]!;
      return m.from === o.from && m.to === o.to && m.color === o.color && m.width === o.width;
    })
  );
}

/** Redraws the moves layer unless it is already clear and stays so. */
function paintMoves(rig: Rig): void {
  if (rig.moves.length === 0 && rig.movesBlank) return;
  drawMoves(rig.sigma, rig.layers.moves, rig.moves);
  rig.movesBlank = rig.moves.length === 0;
}

/** Redraws the flash layer unless it is already clear and stays so; true while flashes remain. */
function paintFlashes(rig: Rig, now: number): boolean {
  if (rig.flashes.length === 0 && rig.flashesBlank) return false;
  const more = drawFlashes(rig.sigma, rig.layers.flashes, rig.flashes, now);
  rig.flashesBlank = !more;
  return more;
}

export interface Palettes {
  policy: CategoryColors;
  model: CategoryColors;
  family: CategoryColors;
}

/** The colour category of an agent in a colouring mode, with its legend label. */
export function categoryOf(
  agent: AgentState,
  mode: CategoryMode,
  view: ScenarioView,
  state?: ViewerState,
): string {
  // A scenario may colour by its own state at the viewed time (a debater's current answer).
  if (mode === "family" && view.nodeCategory && state) return view.nodeCategory(agent, state);
  const mind = agent.mind;
  if (!mind) return "unknown";
  if (mode === "family") return view.strategyFamily(agent);
  if (mode === "model")
    return mind.kind === "policy" ? "policy (offline, not an LLM)" : (mind.model ?? mind.name);
  return mind.kind === "policy" ? `${mind.name} (policy)` : `${mind.name} (LLM profile)`;
}

function colorOf(palettes: Palettes, mode: CategoryMode, category: string): string {
  if (mode === "model" && category === "policy (offline, not an LLM)") return POLICY_GREY;
  return palettes[mode].get(category);
}

function sizeRange(n: number): [number, number] {
  if (n <= 50) return [6, 22];
  if (n <= 300) return [3, 12];
  return [1.5, 6];
}

function buildGraph(source: SerializedGraph): Graph {
  const graph = new Graph({ multi: true, type: "mixed", allowSelfLoops: true });
  const slots = source.nodes.map((n) => n.key);
  const pairs: [string, string][] = source.edges.map((e) => [e.source, e.target]);
  const positions = layoutGraph(slots, pairs);
  for (const slot of slots) {
    const p = positions[slot]!;
    graph.addNode(`${HALO}${slot}`, {
      x: p.x,
      y: p.y,
      size: 1,
      color: HALO_NEWBORN,
      hidden: true,
      zIndex: 0,
      label: null,
    });
    graph.addNode(slot, { x: p.x, y: p.y, size: 4, color: EMPTY_SLOT, label: slot, zIndex: 1 });
  }
  return graph;
}

/**
 * Topology edges ("topo:<i>"). Above EDGE_LIMIT they start hidden: a dense graph is a hairball, and
 * drawing tens of thousands of edges every frame stalls software-rendered WebGL (headless
 * Chromium).
 */
export const EDGE_LIMIT = 1000;

function setTopology(sigma: Sigma, graph: Graph, source: SerializedGraph, show: boolean): void {
  showLayers(sigma, ["edges"], show);
  const present = graph.hasEdge("topo:0");
  if (show === present) return;
  if (!show) {
    // One event for sigma (dropping edges one by one re-indexes the whole graph each time);
    // topology edges are the graph's only edges.
    graph.clearEdges();
    return;
  }
  const undirected = source.options?.type === "undirected";
  const lineWidth = source.edges.length > 1000 ? 0.4 : source.edges.length > 300 ? 0.6 : 1;
  source.edges.forEach((e, i) => {
    if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) return;
    const attrs = { color: TOPOLOGY_EDGE, size: lineWidth, zIndex: 0 };
    if (undirected || e.undirected)
      graph.addUndirectedEdgeWithKey(`topo:${i}`, e.source, e.target, attrs);
    else graph.addDirectedEdgeWithKey(`topo:${i}`, e.source, e.target, { ...attrs, type: "line" });
  });
}

export function GraphPanel() {
  // Node attributes follow the shown state (at most 4 times a second; flashes still animate every
  // frame): every update redraws the whole graph.
  const view = useViewer((s) => s.shown);
  const options = useViewer((s) => s.options);
  const selectedAgentId = useViewer((s) => s.selectedAgentId);
  // Interactions flash only as they happen: at the head of a running live run, never while
  // scrubbing or replaying a recording (whose history would otherwise flash in bursts).
  const animating = useViewer(
    (s) => s.scrubSeq === null && s.runState?.live === true && s.runState.status === "running",
  );
  const containerRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const rigRef = useRef<Rig | null>(null);
  const viewRef = useRef<ViewerState>(view);
  viewRef.current = view;
  const [hover, setHover] = useState<{ slot: string; x: number; y: number } | null>(null);
  const runId = view.run?.runId ?? null;
  const scenarioView = viewFor(view.run?.scenario);
  const palettes = useMemo<Palettes>(
    () => ({
      policy: new CategoryColors(),
      model: new CategoryColors(),
      family: new CategoryColors(scenarioView.familyColors),
    }),
    // Fresh colour assignments per run (and scenario).
    [runId, scenarioView],
  );

  // Build sigma once per run graph.
  const source = view.graph;
  useEffect(() => {
    const container = containerRef.current;
    if (!source || !container) return;
    const graph = buildGraph(source);
    const many = source.nodes.length > 60;
    const sigma = new Sigma(graph, container, {
      zIndex: true,
      allowInvalidContainer: true,
      renderEdgeLabels: false,
      labelFont: "system-ui, sans-serif",
      labelSize: 11,
      labelWeight: "500",
      labelColor: { color: "#374151" },
      labelRenderedSizeThreshold: many ? 8 : 0,
      defaultEdgeType: "line",
      minCameraRatio: 0.05,
      maxCameraRatio: 4,
      stagePadding: 36,
    });
    // Edge labels are never drawn; edges and hovers are shown when there is something to show.
    showLayers(sigma, [...EDGE_LAYERS, ...HOVER_LAYERS], false);
    const rig: Rig = {
      sigma,
      graph,
      source,
      layers: createOverlay(sigma),
      flashes: [],
      lineage: [],
      moves: [],
      movesBlank: true,
      flashesBlank: true,
      written: new Map(),
      lastSeq: viewRef.current.nextSeq,
      totalFlashes: 0,
      frame: null,
    };
    rigRef.current = rig;
    // Camera moves and node updates re-render sigma: the overlay follows.
    sigma.on("afterRender", () => {
      paintMoves(rig);
      drawLineage(sigma, rig.layers.lineage, rig.lineage, LINEAGE_COLOR);
      if (rig.frame === null) paintFlashes(rig, performance.now());
    });
    sigma.on("clickNode", ({ node }) => {
      const slot = slotOf(node);
      const id = viewRef.current.slotAgent[slot];
      if (id !== undefined) selectAgent(id);
    });
    sigma.on("enterNode", ({ node, event }) => {
      showLayers(sigma, HOVER_LAYERS, true);
      setHover({ slot: slotOf(node), x: event.x, y: event.y });
    });
    sigma.on("leaveNode", () => {
      showLayers(sigma, HOVER_LAYERS, false);
      setHover(null);
    });
    sigma.on("clickStage", () => setHover(null));
    if (window.__agoraViewer) Object.assign(window.__agoraViewer, { sigma });
    return () => {
      if (rig.frame !== null) cancelAnimationFrame(rig.frame);
      sigma.kill();
      rigRef.current = null;
      setHover(null);
    };
  }, [source]);

  // A large complete graph comes without its edges (state/reducer.ts): there is nothing to draw.
  const recordedEdges = Number(view.run?.graphStats.edges ?? source?.edges.length ?? 0);
  const unlisted = source !== null && source.edges.length === 0 && recordedEdges > 0;
  const showEdges =
    !unlisted && (options.showEdges ?? (source ? source.edges.length <= EDGE_LIMIT : true));
  useEffect(() => {
    const rig = rigRef.current;
    if (rig && source) setTopology(rig.sigma, rig.graph, source, showEdges);
  }, [source, showEdges]);

  const highlights = useMemo(
    () => scenarioView.moveHighlights?.(view) ?? null,
    [scenarioView, view],
  );
  // Degrees per slot for the tooltip (a complete graph recorded without edges: n - 1 each).
  const degrees = useMemo(() => degreesOf(source, unlisted), [source, unlisted]);

  // Node attributes, lineage, moves and flashes follow the viewed state.
  useEffect(() => {
    const rig = rigRef.current;
    if (!rig) return;
    const { graph } = rig;
    const slots = view.slots;
    const [minSize, maxSize] = sizeRange(slots.length);
    const measures = measuresOf(scenarioView, view);
    const sizes = sizeMeasures(measures);
    const chosen = chosenSize(sizes, options.sizeBy);
    const coloring = colorMode(options.colorBy, measures);
    const values = new Map<string, number | null>();
    let vmax = 0;
    for (const slot of slots) {
      const id = view.slotAgent[slot];
      const agent = id !== undefined ? view.agents[id] : undefined;
      if (!agent || !chosen) continue;
      // The chosen measure falls back on the view's other size measures where a scenario does not
      // report it.
      const v = sizeValue(agent, view, chosen, sizes);
      values.set(slot, v);
      if (v !== null && v > vmax) vmax = v;
    }
    const forceLabels = slots.length <= 60;
    // Any write schedules a sigma render, which redraws the lineage layer after it.
    let wrote = false;
    for (const slot of slots) {
      if (!graph.hasNode(slot)) continue;
      const id = view.slotAgent[slot];
      const agent = id !== undefined ? view.agents[id] : undefined;
      if (!agent) {
        wrote =
          writeNode(rig, slot, {
            color: EMPTY_SLOT,
            size: minSize,
            label: slot,
            forceLabel: forceLabels,
            zIndex: 1,
          }) || wrote;
        wrote = writeNode(rig, `${HALO}${slot}`, { hidden: true }) || wrote;
        continue;
      }
      const v = values.get(slot) ?? null;
      const size =
        v === null || vmax <= 0
          ? minSize
          : minSize + (maxSize - minSize) * Math.sqrt(Math.max(0, v) / vmax);
      const color = coloring.measure
        ? measureColor(coloring.measure.value(agent, view))
        : colorOf(palettes, coloring.mode, categoryOf(agent, coloring.mode, scenarioView, view));
      const newborn = agent.generation > 1 && agent.generation === view.generation;
      const selected = agent.id === selectedAgentId;
      // Sizes rounded to a tenth of a pixel: invisible changes cause no re-render.
      const shown = Math.round(size * 10) / 10;
      wrote =
        writeNode(rig, slot, {
          color,
          size: shown,
          label: agent.id,
          forceLabel: forceLabels || selected,
          zIndex: selected ? 2 : 1,
        }) || wrote;
      wrote =
        writeNode(
          rig,
          `${HALO}${slot}`,
          newborn || selected
            ? {
                hidden: false,
                size: shown + (selected ? 5 : 6),
                color: selected ? HALO_SELECTED : HALO_NEWBORN,
              }
            : { hidden: true },
        ) || wrote;
    }

    // Lineage arrows: parent slot -> newborn slot, for newborns of the viewed generation.
    const lineage: [string, string][] = [];
    if (options.showLineage) {
      for (const slot of slots) {
        const id = view.slotAgent[slot];
        const agent = id !== undefined ? view.agents[id] : undefined;
        if (
          !agent ||
          agent.generation <= 1 ||
          agent.generation !== view.generation ||
          agent.parents.length > 3
        )
          continue;
        for (const parent of agent.parents) {
          const p = view.agents[parent];
          if (!p?.slot || view.slotAgent[p.slot] !== parent || p.slot === slot) continue;
          lineage.push([p.slot, slot]);
        }
      }
    }
    if (!sameLineage(lineage, rig.lineage)) {
      rig.lineage = lineage;
      if (!wrote) drawLineage(rig.sigma, rig.layers.lineage, lineage, LINEAGE_COLOR);
    }

    // The current step's moves (chosen by the reducer), redrawn only when they change.
    const moves = options.showMoves ? moveArrows(highlights, view) : [];
    if (!sameMoves(moves, rig.moves)) {
      rig.moves = moves;
      if (!wrote) paintMoves(rig);
    }

    // Flashes for interactions newer than the last drawn state.
    const jump = view.nextSeq - rig.lastSeq;
    const now = performance.now();
    if (!animating) rig.flashes.length = 0;
    else if (jump > 0 && jump <= MAX_FLASH_JUMP) {
      for (const entry of view.interactions) {
        if (entry.seq < rig.lastSeq || entry.to === null) continue;
        const style = scenarioView.interactionStyle(entry);
        const fromAgent = view.agents[entry.from];
        const toAgent = view.agents[entry.to];
        if (!style || !fromAgent?.slot || !toAgent?.slot || fromAgent.slot === toAgent.slot)
          continue;
        rig.flashes.push({
          from: fromAgent.slot,
          to: toAgent.slot,
          born: now,
          color: style.color,
          size: style.size,
        });
        rig.totalFlashes++;
      }
      if (rig.flashes.length > MAX_FLASHES) rig.flashes.splice(0, rig.flashes.length - MAX_FLASHES);
    }
    if (rig.frame === null) {
      if (paintFlashes(rig, now))
        rig.frame = requestAnimationFrame(() => animate(rig, wrapRef.current));
    }
    rig.lastSeq = view.nextSeq;
    const wrap = wrapRef.current;
    if (wrap) {
      wrap.dataset.flashes = String(rig.flashes.length);
      wrap.dataset.totalFlashes = String(rig.totalFlashes);
      wrap.dataset.lineageEdges = String(rig.lineage.length);
      wrap.dataset.moves = String(rig.moves.length);
    }
  }, [view, options, selectedAgentId, palettes, scenarioView, animating, highlights]);

  const hovered = hover ? view.agents[view.slotAgent[hover.slot] ?? ""] : undefined;
  const hoverText =
    hovered && scenarioView.nodeTooltip ? scenarioView.nodeTooltip(hovered, view) : null;
  const measures = measuresOf(scenarioView, view);
  const coloring = colorMode(options.colorBy, measures);
  const legend = useLegend(view, coloring, palettes, scenarioView);
  const sizes = sizeMeasures(measures);
  const size = chosenSize(sizes, options.sizeBy);
  const edgesDrawn = source !== null && source.edges.length > 0 && showEdges;
  const occupied = view.slots.filter((s) => view.slotAgent[s] !== undefined).length;

  return (
    <Panel
      title="Society"
      testId="graph-panel"
      className="graph-panel"
      actions={
        <>
          {size ? (
            <label>
              size
              <select
                data-testid="size-by"
                value={size.id}
                onChange={(e) => setOption("sizeBy", e.target.value)}
              >
                {sizes.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label>
            colour
            <select
              data-testid="color-by"
              value={coloring.key}
              onChange={(e) => setOption("colorBy", e.target.value)}
            >
              <option value="family">{scenarioView.familyLabel ?? "strategy family"}</option>
              <option value="policy">policy / profile</option>
              <option value="model">model</option>
              {colorMeasures(measures).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <label
            title={
              unlisted
                ? `${recordedEdges.toLocaleString("en-US")} edges of a complete graph: not drawn`
                : source && source.edges.length > EDGE_LIMIT
                  ? `${source.edges.length.toLocaleString("en-US")} edges: hidden by default`
                  : ""
            }
          >
            <input
              type="checkbox"
              data-testid="show-edges"
              disabled={unlisted}
              checked={showEdges}
              onChange={(e) => setOption("showEdges", e.target.checked)}
            />
            edges
          </label>
          {scenarioView.moveHighlights ? (
            <label title="the moves of the current step, drawn on their edges until the next step">
              <input
                type="checkbox"
                data-testid="show-moves"
                checked={options.showMoves}
                onChange={(e) => setOption("showMoves", e.target.checked)}
              />
              moves
            </label>
          ) : null}
          <label>
            <input
              type="checkbox"
              data-testid="show-lineage"
              checked={options.showLineage}
              onChange={(e) => setOption("showLineage", e.target.checked)}
            />
            lineage
          </label>
        </>
      }
    >
      <div
        className="graph-wrap"
        ref={wrapRef}
        data-testid="graph"
        data-nodes={view.slots.length}
        data-agents={occupied}
        data-color-by={coloring.key}
        data-size-by={size?.id ?? "none"}
      >
        <div className="graph-canvas" ref={containerRef} />
        {!source ? (
          <div className="graph-empty muted">The graph appears with the run's first event.</div>
        ) : null}
        {hover ? (
          <div
            className="graph-tooltip"
            data-testid="graph-tooltip"
            style={tooltipPosition(hover, wrapRef.current)}
          >
            {hovered ? (
              <>
                <div className="tooltip-title">
                  <b>{hovered.id}</b> <MindBadge mind={hovered.mind} />
                </div>
                <div className="muted">
                  slot {hover.slot}
                  {degrees ? ` · degree ${degrees.get(hover.slot) ?? 0}` : ""} ·{" "}
                  {describeMind(hovered.mind)}
                </div>
                <div>
                  {hovered.strategy ? truncate(hovered.strategy, 220) : <i>no strategy yet</i>}
                </div>
                {hoverText ? (
                  <div className="tooltip-text" data-testid="graph-tooltip-text">
                    {truncate(hoverText, 600)}
                  </div>
                ) : null}
                {measures.length > 0 ? (
                  <div className="muted" data-testid="graph-tooltip-measures">
                    {measures
                      .map((m) => `${m.label}: ${fmtMeasure(m, m.value(hovered, view))}`)
                      .join(" · ")}
                  </div>
                ) : null}
              </>
            ) : (
              <div>slot {hover.slot}: no agent yet</div>
            )}
          </div>
        ) : null}
      </div>
      <div className="legend" data-testid="graph-legend">
        <div className="legend-group">
          <span className="legend-title">
            {coloring.measure
              ? coloring.measure.label
              : coloring.mode === "family"
                ? (scenarioView.familyLabel ?? "strategy family")
                : coloring.mode === "model"
                  ? "model"
                  : "policy / profile"}
          </span>
          {coloring.measure ? (
            <span className="legend-item" data-testid="legend-scale">
              0%
              <span
                className="swatch-scale"
                style={{
                  background: `linear-gradient(to right, ${fractionColor(0)}, ${fractionColor(0.5)}, ${fractionColor(1)})`,
                }}
              />
              100%
            </span>
          ) : null}
          {legend.map((item) => (
            <span key={item.label} className="legend-item" data-testid="legend-item">
              <span className="swatch" style={{ background: item.color }} />
              {item.label} <span className="muted">({item.count})</span>
            </span>
          ))}
        </div>
        {highlights && options.showMoves ? (
          <div
            className="legend-group"
            data-testid="move-highlights"
            data-moves={highlights.edges.length}
          >
            <span className="legend-title">moves of {highlights.label}</span>
            {highlights.legend.map((item) => (
              <span key={item.label} className="legend-item">
                <span className="swatch swatch-line" style={{ background: item.color }} />
                {item.label}
              </span>
            ))}
            <span className="legend-item muted">
              {highlights.edges.length.toLocaleString("en-US")} arrows
              {highlights.omitted > 0
                ? ` (${highlights.omitted.toLocaleString("en-US")} more not drawn)`
                : ""}
              {edgesDrawn ? "" : "; graph edges not drawn: the arrows show who acted towards whom"}
            </span>
          </div>
        ) : null}
        <div className="legend-group">
          <span className="legend-title">interactions</span>
          {scenarioView.interactionLegend.map((item) => (
            <span key={item.label} className="legend-item">
              <span className="swatch swatch-line" style={{ background: item.color }} />
              {item.label}
            </span>
          ))}
          <span className="legend-item">
            <span className="swatch swatch-line" style={{ background: LINEAGE_COLOR }} />
            lineage
          </span>
          <span className="legend-item">
            <span className="swatch swatch-halo" />
            newborn
          </span>
          {size ? <span className="legend-item muted">size: {size.label}</span> : null}
        </div>
      </div>
    </Panel>
  );
}

/** Legend items of the colouring: categories by count, or a colour measure's missing values. */
function useLegend(
  view: ViewerState,
  coloring: ReturnType<typeof colorMode>,
  palettes: Palettes,
  scenarioView: ScenarioView,
) {
  const counts = new Map<string, number>();
  for (const slot of view.slots) {
    const id = view.slotAgent[slot];
    const agent = id !== undefined ? view.agents[id] : undefined;
    if (!agent) continue;
    const category = coloring.measure
      ? coloring.measure.value(agent, view) === null
        ? "no value yet"
        : null
      : categoryOf(agent, coloring.mode, scenarioView, view);
    if (category !== null) counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, count]) => ({
      label,
      count,
      color: coloring.mode ? colorOf(palettes, coloring.mode, label) : NO_VALUE_COLOR,
    }));
}

/** Each slot's degree (edges at it, either direction); null before the graph arrives. */
function degreesOf(source: SerializedGraph | null, unlisted: boolean): Map<string, number> | null {
  if (!source) return null;
  const degrees = new Map<string, number>();
  const n = source.nodes.length;
  for (const node of source.nodes) degrees.set(node.key, unlisted ? n - 1 : 0);
  for (const e of source.edges) {
    if (e.source === e.target) continue;
    degrees.set(e.source, (degrees.get(e.source) ?? 0) + 1);
    degrees.set(e.target, (degrees.get(e.target) ?? 0) + 1);
  }
  return degrees;
}

/**
 * Beside the pointer, on the side with more room (drawn rightwards near the right edge it was
 * squeezed and clipped).
 */
function tooltipPosition(
  hover: { x: number; y: number },
  wrap: HTMLDivElement | null,
): CSSProperties {
  const width = wrap?.clientWidth ?? 0;
  const height = wrap?.clientHeight ?? 0;
  return {
    ...(hover.x > width / 2 ? { right: width - hover.x + 14 } : { left: hover.x + 14 }),
    ...(hover.y > height / 2 ? { bottom: height - hover.y + 10 } : { top: hover.y + 10 }),
  };
}

/** Animates the overlay while flashes fade (one canvas redraw per frame). */
function animate(rig: Rig, wrap: HTMLDivElement | null): void {
  rig.frame = null;
  const more = paintFlashes(rig, performance.now());
  if (wrap) wrap.dataset.flashes = String(rig.flashes.length);
  if (more) rig.frame = requestAnimationFrame(() => animate(rig, wrap));
}
