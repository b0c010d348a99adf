/**
 * The transmission view (discovered by the viewer: scenarios/<id>/view.ts; its panel is
 * view/panel.tsx): agents' texts on hover, a text inspector with a word diff against the
 * likely parent (the `lineage` interaction), the between-generation similarity heatmap from the
 * `similarityToGen<k>` metrics, metric charts, and for chains one lane per chain.
 *
 * Texts per agent per generation are derived from `text` and `lineage` interactions (`derive`, a
 * pure fold kept in ViewerState.scenario): the last MAX_GENERATIONS generations, at most
 * MAX_TEXTS_PER_GENERATION texts each, holding the event's own strings (never copied).
 */
import { diffWords } from "diff";
import {
  PALETTE,
  USAGE_METRICS,
  defineView,
  truncate,
  type AgentState,
  type ChartSpec,
  type GenerationRow,
  type InteractionEntry,
  type TimeCoords,
  type ViewerState,
} from "../../viewer/src/scenarios/api.js";

export const MAX_GENERATIONS = 200;
export const MAX_TEXTS_PER_GENERATION = 2000;
/** Characters of each text a diff looks at (word diffs are quadratic in the worst case). */
export const DIFF_CHARS = 6000;

export const LINEAGE_FLASH = "#7b4fd6";
export const SIMILARITY_TO_GEN = /^similarityToGen(\d+)$/;

export interface TextEntry {
  seq: number;
  agentId: string;
  generation: number;
  /** Chain index in chain mode, else null. */
  chain: number | null;
  group: string | null;
  text: string;
  transformation: string | null;
  persona: string | null;
  inputs: string[];
}

export interface LineageLink {
  parent: string;
  similarity: number | null;
  parentGeneration: number;
}

export interface GenerationTexts {
  generation: number;
  /** textKey(agent, chain) -> text. */
  texts: Record<string, TextEntry>;
  /** textKey(agent, chain) -> its likely parent. */
  lineage: Record<string, LineageLink>;
  /** Texts beyond MAX_TEXTS_PER_GENERATION, not kept. */
  dropped: number;
}

export interface TransmissionDerived {
  kind: "transmission";
  /** Ascending by generation, at most MAX_GENERATIONS. */
  generations: GenerationTexts[];
  droppedGenerations: number;
  /** Each agent's latest text. */
  latest: Record<string, TextEntry>;
}

const EMPTY: TransmissionDerived = {
  kind: "transmission",
  generations: [],
  droppedGenerations: 0,
  latest: {},
};

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A text's key within its generation: chains may reuse an agent id across chains. */
export const textKey = (agentId: string, chain: number | null): string =>
  chain === null ? agentId : `${agentId}@${chain}`;

function chainOf(data: Record<string, unknown>, t: TimeCoords): number | null {
  return num(data.chain) ?? (typeof t.chain === "number" ? t.chain : null);
}

export function isTransmissionDerived(v: unknown): v is TransmissionDerived {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "transmission";
}

export function transmissionState(state: Pick<ViewerState, "scenario">): TransmissionDerived {
  return isTransmissionDerived(state.scenario) ? state.scenario : EMPTY;
}

export function textEntry(e: InteractionEntry): TextEntry {
  const d = e.data;
  return {
    seq: e.seq,
    agentId: e.from,
    generation: e.t.generation,
    chain: chainOf(d, e.t),
    group: str(d.group),
    // An unusable answer is recorded with text null and the reason
    // (scenarios/transmission/README.md).
    text:
      d.text === null
        ? `(no usable text: ${str(d.unusable) ?? "unknown reason"})`
        : (str(d.text) ?? ""),
    transformation: str(d.transformation),
    persona: str(d.persona),
    inputs: Array.isArray(d.inputs)
      ? d.inputs.filter((x): x is string => typeof x === "string")
      : [],
  };
}

/**
 * The reducer hook: folds a batch's text and lineage interactions in (copy-on-write per
 * generation).
 */
export function deriveTransmission(
  previous: unknown,
  entries: readonly InteractionEntry[],
): TransmissionDerived {
  const base = isTransmissionDerived(previous) ? previous : EMPTY;
  const touched = new Map<number, GenerationTexts>();
  // Texts kept per touched generation, counted once when it is first touched (not per event).
  const textCounts = new Map<number, number>();
  let latest = base.latest;
  const generationOf = (generation: number): GenerationTexts => {
    let g = touched.get(generation);
    if (!g) {
      const old = findGeneration(base, generation);
      g = old
        ? { ...old, texts: { ...old.texts }, lineage: { ...old.lineage } }
        : { generation, texts: {}, lineage: {}, dropped: 0 };
      touched.set(generation, g);
      textCounts.set(generation, Object.keys(g.texts).length);
    }
    return g;
  };
  for (const e of entries) {
    if (e.kind === "text") {
      const entry = textEntry(e);
      const g = generationOf(entry.generation);
      const key = textKey(entry.agentId, entry.chain);
      if (g.texts[key] === undefined) {
        const count = textCounts.get(entry.generation)!;
        if (count >= MAX_TEXTS_PER_GENERATION) {
          g.dropped++;
          continue;
        }
        textCounts.set(entry.generation, count + 1);
      }
      g.texts[key] = entry;
      if (latest === base.latest) latest = { ...base.latest };
      latest[entry.agentId] = entry;
    } else if (e.kind === "lineage" && e.to !== null) {
      const g = generationOf(e.t.generation);
      g.lineage[textKey(e.from, chainOf(e.data, e.t))] = {
        parent: e.to,
        similarity: num(e.data.similarity),
        parentGeneration: num(e.data.parentGeneration) ?? e.t.generation - 1,
      };
    }
  }
  if (touched.size === 0) return base;
  const merged = new Map(base.generations.map((g) => [g.generation, g]));
  for (const [generation, g] of touched) merged.set(generation, g);
  let generations = [...merged.values()].sort((a, b) => a.generation - b.generation);
  let droppedGenerations = base.droppedGenerations;
  if (generations.length > MAX_GENERATIONS) {
    droppedGenerations += generations.length - MAX_GENERATIONS;
    generations = generations.slice(generations.length - MAX_GENERATIONS);
  }
  return { kind: "transmission", generations, droppedGenerations, latest };
}

export function findGeneration(
  d: TransmissionDerived,
  generation: number,
): GenerationTexts | undefined {
  for (let i = d.generations.length - 1; i >= 0; i--)
    if (d.generations[i]!.generation === generation) return d.generations[i];
  return undefined;
}

/** An agent's text in a generation (in chain mode, the one of `chain` if given, else any). */
export function textOf(
  d: TransmissionDerived,
  agentId: string,
  generation: number,
  chain: number | null = null,
): TextEntry | null {
  const g = findGeneration(d, generation);
  if (!g) return null;
  const exact = g.texts[textKey(agentId, chain)];
  if (exact) return exact;
  for (const t of Object.values(g.texts)) if (t.agentId === agentId) return t;
  return null;
}

/** Every text an agent wrote that is still kept, oldest first. */
export function textsOfAgent(d: TransmissionDerived, agentId: string): TextEntry[] {
  const out: TextEntry[] = [];
  for (const g of d.generations) {
    // Network mode keys texts by agent id: one lookup; chain mode (agent@chain) needs a scan.
    const direct = g.texts[agentId];
    if (direct) out.push(direct);
    else for (const t of Object.values(g.texts)) if (t.agentId === agentId) out.push(t);
  }
  return out;
}

/** A text's likely parent (lineage) and the parent's text, if both are known. */
export function parentOf(
  d: TransmissionDerived,
  entry: TextEntry,
): { link: LineageLink; text: TextEntry | null } | null {
  const link = findGeneration(d, entry.generation)?.lineage[textKey(entry.agentId, entry.chain)];
  if (!link) return null;
  return { link, text: textOf(d, link.parent, link.parentGeneration, entry.chain) };
}

export interface DiffPart {
  kind: "same" | "added" | "removed";
  text: string;
}

/** A word-level diff from the parent's text to the child's (both cut at DIFF_CHARS). */
export function wordDiff(parent: string, child: string): { parts: DiffPart[]; truncated: boolean } {
  const truncated = parent.length > DIFF_CHARS || child.length > DIFF_CHARS;
  const parts = diffWords(parent.slice(0, DIFF_CHARS), child.slice(0, DIFF_CHARS)).map(
    (c) =>
      ({ kind: c.added ? "added" : c.removed ? "removed" : "same", text: c.value }) as DiffPart,
  );
  return { parts, truncated };
}

export interface SimilarityMatrix {
  /** The generations shown (rows and columns), ascending. */
  generations: number[];
  /**
   * cells[i][j]: similarity between generations[i] and generations[j] (the matrix is symmetric).
   */
  cells: (number | null)[][];
  /** Generations left out (only the last `window` are shown). */
  hidden: number;
  /** The smallest and largest cell values (the colour scale's ends), null without any value. */
  range: [number, number] | null;
}

/** The between-generation similarity matrix from each generation's `similarityToGen<k>` metrics. */
export function similarityMatrix(rows: readonly GenerationRow[], window = 40): SimilarityMatrix {
  const withSim = rows.filter((r) => Object.keys(r.values).some((k) => SIMILARITY_TO_GEN.test(k)));
  const all = [...new Set(withSim.map((r) => r.generation))].sort((a, b) => a - b);
  const generations = all.slice(Math.max(0, all.length - window));
  const byGen = new Map(withSim.map((r) => [r.generation, r.values]));
  const value = (row: number, col: number): number | null =>
    num(byGen.get(row)?.[`similarityToGen${col}`]);
  const cells = generations.map((gi) =>
    generations.map((gj) => (gj <= gi ? value(gi, gj) : value(gj, gi))),
  );
  let range: [number, number] | null = null;
  for (const row of cells)
    for (const v of row)
      if (v !== null) range = range ? [Math.min(range[0], v), Math.max(range[1], v)] : [v, v];
  return { generations, cells, hidden: all.length - generations.length, range };
}

export interface ChainLane {
  chain: number;
  /** The chain's texts generation by generation (the last `maxSteps`). */
  steps: TextEntry[];
  hidden: number;
}

/** One lane per chain (chain mode only; none in network mode), at most `maxLanes`. */
export function chainLanes(
  d: TransmissionDerived,
  maxLanes = 20,
  maxSteps = 30,
): { lanes: ChainLane[]; hiddenLanes: number } {
  const byChain = new Map<number, TextEntry[]>();
  // Network mode (no chain on the newest texts) has no lanes: skip the walk over every kept text.
  const newest = d.generations[d.generations.length - 1];
  if (!newest || !Object.values(newest.texts).some((t) => t.chain !== null))
    return { lanes: [], hiddenLanes: 0 };
  for (const g of d.generations) {
    for (const t of Object.values(g.texts)) {
      if (t.chain === null) continue;
      let list = byChain.get(t.chain);
      if (!list) byChain.set(t.chain, (list = []));
      list.push(t);
    }
  }
  const chains = [...byChain.keys()].sort((a, b) => a - b);
  const lanes = chains.slice(0, maxLanes).map((chain) => {
    const steps = byChain.get(chain)!.sort((a, b) => a.generation - b.generation || a.seq - b.seq);
    return {
      chain,
      steps: steps.slice(Math.max(0, steps.length - maxSteps)),
      hidden: Math.max(0, steps.length - maxSteps),
    };
  });
  return { lanes, hiddenLanes: Math.max(0, chains.length - maxLanes) };
}

/**
 * A similarity as a colour from white (the scale's low end) to dark blue (its high end); null:
 * light grey. The heatmap scales to the matrix's own range: TF-IDF similarities of real texts
 * often span 0.1 to 0.5, which on a fixed 0..1 scale would all look alike.
 */
export function similarityColor(v: number | null, range: [number, number] = [0, 1]): string {
  if (v === null) return "#eceef1";
  const span = range[1] - range[0];
  const f = span > 0 ? Math.max(0, Math.min(1, (v - range[0]) / span)) : 1;
  const mix = (a: number, b: number) => Math.round(a + (b - a) * f);
  return `rgb(${mix(247, 8)}, ${mix(251, 48)}, ${mix(255, 107)})`;
}

const CHARTS: ChartSpec[] = [
  {
    id: "tx-similarity",
    title: "TF-IDF similarity per generation",
    yRange: [0, 1],
    series: [
      { key: "similarityWithin", label: "within", color: "#1f77b4" },
      { key: "similarityWithinSelf", label: "within (self-incl.)", color: "#aec7e8" },
      { key: "similarityPrevious", label: "vs previous", color: "#ff7f0e" },
      { key: "similarityFirst", label: "vs first", color: "#2ca02c" },
      { key: "embeddingWithin", label: "embedding within", color: "#9467bd" },
    ],
  },
  {
    id: "tx-diversity",
    title: "Diversity",
    yRange: [0, 1],
    series: [{ key: "diversity", label: "mean pairwise distance", color: "#e15759" }],
  },
  {
    id: "tx-change",
    title: "Cumulative change",
    series: [{ key: "cumulativeChange", label: "cumulative change", color: "#9c755f" }],
  },
  {
    // Network mode: how far generation 1's texts have travelled (README "Spread over the graph").
    id: "tx-spread",
    title: "Similarity to generation 1's texts by graph distance from their origin",
    yRange: [0, 1],
    series: ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1"].map((color, d) => ({
      key: `originSimilarityAtDistance${d}`,
      label: `${d} hop${d === 1 ? "" : "s"}`,
      color,
    })),
  },
  {
    id: "tx-spread-slope",
    title: "Spread: slope of that similarity over distance",
    series: [{ key: "originSimilaritySlope", label: "slope per hop", color: "#4e79a7" }],
  },
  {
    id: "tx-clusters",
    title: "Distinct clusters",
    series: [{ key: "clusters", label: "clusters", color: "#76b7b2" }],
  },
  {
    id: "tx-sentiment",
    title: "Positivity and subjectivity",
    series: [
      { key: "positivity", label: "positivity (VADER)", color: "#59a14f" },
      { key: "subjectivity", label: "subjectivity", color: "#edc948" },
    ],
  },
  {
    id: "tx-fog",
    title: "Readability (Gunning fog)",
    series: [{ key: "fog", label: "fog index", color: "#b07aa1" }],
  },
  {
    id: "tx-words",
    title: "Length (words)",
    series: [{ key: "words", label: "words", color: "#4e79a7" }],
  },
  {
    id: "tx-chars",
    title: "Length (characters)",
    series: [{ key: "chars", label: "characters", color: "#f28e2b" }],
  },
  {
    id: "tx-inputs",
    title: "Texts read per prompt (mean)",
    series: [{ key: "meanInputs", label: "inputs", color: "#76b7b2" }],
  },
];

const CHARTED = new Set(CHARTS.flatMap((c) => c.series.map((s) => s.key)));

/**
 * Chain attractor keys: attractor<Metric><Slope|Intercept|Position|Strength>[Lo|Hi] (Lo/Hi:
 * bootstrap interval).
 */
export const ATTRACTOR = /^attractor([A-Z]\w*?)(Slope|Intercept|Position|Strength)(Lo|Hi)?$/;

/**
 * One chart of every metric's attractor strength, and one per metric of its position with the
 * bootstrap interval (positions are in the metric's own units). Slopes and intercepts, from which
 * both are computed, stay in the event log and metrics.jsonl.
 */
export function attractorCharts(keys: readonly string[]): ChartSpec[] {
  const present = new Set(keys);
  const metrics: string[] = [];
  for (const k of keys) {
    const m = ATTRACTOR.exec(k);
    if (m && !metrics.includes(m[1]!)) metrics.push(m[1]!);
  }
  const charts: ChartSpec[] = [];
  const strength = metrics.filter((m) => present.has(`attractor${m}Strength`));
  if (strength.length > 0) {
    charts.push({
      id: "tx-attractor-strength",
      title: "Attractor strength (1 − |slope|) across chains",
      series: strength.map((m, i) => ({
        key: `attractor${m}Strength`,
        label: m.toLowerCase(),
        color: PALETTE[i % PALETTE.length]!,
      })),
    });
  }
  for (const m of metrics) {
    const series = [
      { key: `attractor${m}Position`, label: "position", color: "#1f77b4" },
      { key: `attractor${m}PositionLo`, label: "CI low", color: "#aec7e8" },
      { key: `attractor${m}PositionHi`, label: "CI high", color: "#aec7e8" },
    ].filter((x) => present.has(x.key));
    if (series.length > 0)
      charts.push({
        id: `tx-attractor-${m.toLowerCase()}`,
        title: `Attractor position: ${m.toLowerCase()}`,
        series,
      });
  }
  return charts;
}

export const transmissionView = defineView({
  id: "transmission",
  title: "Transmission",
  generationCharts(keys) {
    const present = new Set(keys);
    const known = CHARTS.map((c) => ({
      ...c,
      series: c.series.filter((s) => present.has(s.key)),
    })).filter((c) => c.series.length > 0);
    const attractors = attractorCharts(keys);
    // Anything else gets a chart of its own; the heatmap has the similarityToGen<k>.
    const rest = keys.filter(
      (k) =>
        !CHARTED.has(k) &&
        !USAGE_METRICS.has(k) &&
        !SIMILARITY_TO_GEN.test(k) &&
        !ATTRACTOR.test(k),
    );
    return known.concat(
      attractors,
      rest.map((key, i) => ({
        id: `metric-${key}`,
        title: key,
        series: [{ key, label: key, color: PALETTE[i % PALETTE.length]! }],
      })),
    );
  },
  roundChart() {
    return null;
  },
  interactionStyle(entry) {
    return entry.kind === "lineage" ? { color: LINEAGE_FLASH, size: 2 } : null;
  },
  interactionLegend: [{ label: "likely parent", color: LINEAGE_FLASH }],
  describeInteraction(entry, side = "from") {
    const d = entry.data;
    if (entry.kind === "text") {
      const t = textEntry(entry);
      const inputs =
        t.inputs.length === 0
          ? ""
          : ` from ${t.inputs.length <= 3 ? t.inputs.join(", ") : `${t.inputs.length} texts`}`;
      return `wrote (${t.transformation ?? "text"}${t.chain !== null ? `, chain ${t.chain}` : ""})${inputs}: “${truncate(t.text, 80)}”`;
    }
    if (entry.kind === "lineage") {
      const sim = num(d.similarity);
      const simText = sim === null ? "" : `, similarity ${sim.toFixed(2)}`;
      return side === "to"
        ? `likely parent of ${entry.from}'s text${simText}`
        : `likely parent: ${entry.to ?? "?"} (generation ${num(d.parentGeneration) ?? "?"}${simText})`;
    }
    return side === "to"
      ? `${entry.kind} from ${entry.from}`
      : `${entry.kind}${entry.to ? ` → ${entry.to}` : ""}`;
  },
  strategyFamily(agent) {
    if (agent.strategy) return truncate(agent.strategy, 28);
    return agent.mind ? agent.mind.name : "unknown";
  },
  familyColors: {},
  familyLabel: "persona",
  nodeTooltip(agent: AgentState, state: ViewerState) {
    const t = transmissionState(state).latest[agent.id];
    return t
      ? `generation ${t.generation}${t.chain !== null ? `, chain ${t.chain}` : ""}: ${t.text}`
      : null;
  },
  // No agent measures and no scores: agents are texts, not players (no size menu, no score
  // columns).
  derive: deriveTransmission,
});

export default transmissionView;
