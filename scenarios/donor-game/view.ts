/**
 * The Donor Game's view (discovered by the viewer: scenarios/<id>/view.ts): resource and
 * cooperation charts, donations coloured by the share given (red = nothing, green = everything),
 * punishment and refusal in their own colours, agents grouped into strategy families (policy
 * minds by their policy, LLM minds by reading their strategy text), and the game's own words in
 * the viewer core's places: resources and last score as agent columns and node sizes, resources
 * per game in the inspector, "game N" round series, strategy revisions (`strategy-revised`).
 *
 * Resources are derived from the interactions (`derive`, kept in ViewerState.scenario): each
 * agent's latest holdings per game of the newest generation with interactions, as the donation
 * and punishment events report them (`donorAfter`, `recipientAfter`). So are the current round's
 * moves, drawn on the graph's edges until the next round starts (`moveHighlights`), and each
 * agent's giving this generation (the "giving" colouring and column), so that live view, replay
 * and scrubbing show the same picture for the same events.
 */
import {
  defineView,
  fmtNumber,
  fractionColor,
  latestScore,
  type AgentMeasure,
  type AgentState,
  type ChartSpec,
  type InteractionEntry,
  type MoveEdge,
  type MoveHighlights,
  type ViewerState,
} from "../../viewer/src/scenarios/api.js";

export const PUNISHMENT_COLOR = "#6a3d9a";
export const REFUSAL_COLOR = "#111111";

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

const fmt = (v: unknown): string => {
  const n = num(v);
  return n === null ? "?" : n.toFixed(2);
};

/** Families for the offline policies, by policy name. */
const POLICY_FAMILIES: Record<string, string> = {
  constant: "unconditional",
  cooperate: "unconditional",
  "tit-for-tat": "reciprocal",
  "image-scoring": "reputation",
  defect: "defector",
  random: "random",
};

export const DONOR_FAMILY_COLORS: Record<string, string> = {
  unconditional: "#2ca02c",
  generous: "#2ca02c",
  reciprocal: "#1f77b4",
  reputation: "#17becf",
  conditional: "#1f77b4",
  punisher: PUNISHMENT_COLOR,
  moderate: "#edc948",
  defector: "#d62728",
  random: "#9c755f",
  other: "#bab0ac",
  unknown: "#d0d0d0",
};

/** A coarse reading of an LLM's strategy text (a label for colouring, not an analysis). */
export function classifyStrategy(text: string): string {
  const s = text.toLowerCase();
  if (/\bpunish/.test(s)) return "punisher";
  if (
    /\b(if|unless|depending|depends|reciproc|in return|previous|history|past|last|reputation|behaviou?r|trace)\b/.test(
      s,
    )
  )
    return "conditional";
  if (/\b(nothing|not (?:give|donate)|never (?:give|donate)|keep everything|0\s*%)/.test(s))
    return "defector";
  const pct = /(\d+(?:\.\d+)?)\s*%/.exec(s);
  if (pct) {
    const p = Number(pct[1]);
    if (p === 0) return "defector";
    return p >= 50 ? "generous" : "moderate";
  }
  if (/\b(all|everything|generous|maximi[sz]e (?:the )?(?:group|collective))\b/.test(s))
    return "generous";
  return "other";
}

const CHARTS: ChartSpec[] = [
  {
    id: "resources",
    title: "Average final resources per generation",
    logToggle: true,
    series: [
      { key: "avgFinalResources", label: "both games", color: "#1f77b4" },
      { key: "game1AvgResources", label: "game 1", color: "#9ecae1" },
      { key: "game2AvgResources", label: "game 2", color: "#fd8d3c" },
    ],
  },
  {
    id: "cooperation",
    title: "Cooperation per generation",
    yRange: [0, 1],
    format: "percent",
    series: [
      { key: "avgDonationFraction", label: "donation fraction", color: "#2ca02c" },
      { key: "punishmentRate", label: "punishment rate", color: PUNISHMENT_COLOR },
      { key: "refusalRate", label: "refusal rate", color: "#555555" },
      { key: "giniFinalResources", label: "Gini (scores)", color: "#e377c2" },
    ],
  },
  // The network metrics (issue 12); null where a generation does not define them (a complete
  // graph has no degree variance): uPlot leaves a gap, and a chart with nothing but nulls is left
  // out.
  {
    id: "network-giving",
    title: "Giving on the network (correlations)",
    yRange: [-1, 1],
    series: [
      { key: "givingDegreeCorrelation", label: "giving ~ degree (r)", color: "#1f77b4" },
      { key: "givingAssortment", label: "assortment of giving (r)", color: "#2ca02c" },
    ],
  },
  {
    id: "network-clusters",
    title: "Cooperative clusters (giving ≥ 50%)",
    series: [
      { key: "cooperativeClusters", label: "clusters", color: "#59a14f" },
      { key: "largestCooperativeCluster", label: "largest cluster (agents)", color: "#b07aa1" },
    ],
  },
  {
    id: "network-unplayed",
    title: "Isolated agents and stranded updates",
    series: [
      { key: "isolatedAgents", label: "isolated agents", color: "#e15759" },
      { key: "strandedUpdates", label: "stranded updates", color: "#9c755f" },
    ],
  },
];

/** The viewer's derived Donor Game state: resources per agent per game of one generation. */
export interface DonorDerived {
  kind: "donor-game";
  /** The generation the levels belong to (the newest with a resource-revealing interaction). */
  generation: number;
  /** agent id -> game (`t.game`, 1 if absent) -> its latest holdings. */
  levels: Record<string, Record<number, number>>;
}

const EMPTY: DonorDerived = { kind: "donor-game", generation: 0, levels: {} };

export function isDonorDerived(v: unknown): v is DonorDerived {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "donor-game";
}

/** The moves of the latest round played: drawn on the graph until the next round starts. */
export interface RoundMoves {
  /** The round's generation and `t.round` (0: no move yet). */
  generation: number;
  round: number;
  /** Its moves of every game, in event order (at most MAX_ROUND_MOVES). */
  moves: InteractionEntry[];
  /** All its moves, kept or not. */
  total: number;
}

/** An agent's answered moves so far in a generation and the shares they gave. */
export interface Tally {
  sum: number;
  count: number;
}

/**
 * Each agent's answered moves so far in one generation: what its "giving" averages (as the
 * scenario's `giving` agent column and network metrics do: scenarios/donor-game/giving.ts). Kept
 * in GIVING_BUCKETS maps by a hash of the agent id, so that a batch copies only the buckets it
 * touches: copying one object of 1,000 agents per batch cost about a millisecond.
 */
export interface GivingTally {
  generation: number;
  buckets: readonly (ReadonlyMap<string, Tally> | undefined)[];
}

const GIVING_BUCKETS = 256;

function bucketOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  return (h >>> 0) % GIVING_BUCKETS;
}

/** The Donor Game view's whole derived state (ViewerState.scenario). */
export interface DonorViewState {
  kind: "donor-game-view";
  resources: DonorDerived;
  round: RoundMoves;
  giving: GivingTally;
}

/**
 * Moves of one round the derived state keeps (a round of 20,000 agents in two games; beyond, they
 * are counted, not drawn): the state is part of every scrubbing snapshot.
 */
export const MAX_ROUND_MOVES = 20_000;

const NO_ROUND: RoundMoves = { generation: 0, round: 0, moves: [], total: 0 };
const NO_GIVING: GivingTally = { generation: 0, buckets: [] };

function isDonorViewState(v: unknown): v is DonorViewState {
  return (
    typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "donor-game-view"
  );
}

/** The Donor Game's derived resources of a viewer state (empty before any donation). */
export function donorState(state: Pick<ViewerState, "scenario">): DonorDerived {
  return isDonorViewState(state.scenario) ? state.scenario.resources : EMPTY;
}

/** The latest round's moves at the viewed state (none before the first move). */
export function roundMoves(state: Pick<ViewerState, "scenario">): RoundMoves {
  return isDonorViewState(state.scenario) ? state.scenario.round : NO_ROUND;
}

const MOVE_KINDS = new Set(["donation", "punishment", "refusal"]);

/** A donor's move towards a recipient (donation, punishment, refusal): what a round is made of. */
export const isMove = (entry: InteractionEntry): boolean =>
  entry.to !== null && MOVE_KINDS.has(entry.kind);

/**
 * The share a move gives: a donation's fraction of the donor's holdings (classic payoff: 1 for
 * cooperation, 0 for defection), 0 for a refusal or a punishment.
 */
export const givenFraction = (entry: InteractionEntry): number =>
  entry.kind === "donation" ? Math.max(0, Math.min(1, num(entry.data.fraction) ?? 0)) : 0;

/** Folds a batch's moves into the latest round's (copy-on-write: one new array per batch). */
export function deriveRound(base: RoundMoves, entries: readonly InteractionEntry[]): RoundMoves {
  let { generation, round, total } = base;
  let moves: InteractionEntry[] | null = null;
  for (const e of entries) {
    if (!isMove(e)) continue;
    const r = e.t.round ?? 0;
    if (e.t.generation !== generation || r !== round) {
      // The next round starts: the previous one's moves are cleared.
      generation = e.t.generation;
      round = r;
      total = 0;
      moves = [];
    } else if (moves === null) {
      moves = [...base.moves];
    }
    total++;
    if (moves.length < MAX_ROUND_MOVES) moves.push(e);
  }
  return moves === null ? base : { generation, round, moves, total };
}

/** Folds a batch's moves into the generation's giving tally (copy-on-write, per bucket). */
export function deriveGiving(base: GivingTally, entries: readonly InteractionEntry[]): GivingTally {
  let generation = base.generation;
  let buckets: (ReadonlyMap<string, Tally> | undefined)[] | null = null;
  const copied = new Set<number>();
  for (const e of entries) {
    // Fallbacks (unusable answers, played as 0) are no choice: left out, as in the metrics.
    if (!isMove(e) || e.data.fallback === true) continue;
    if (e.t.generation !== generation) {
      generation = e.t.generation;
      buckets = [];
      copied.clear();
    } else if (buckets === null) {
      buckets = [...base.buckets];
    }
    const b = bucketOf(e.from);
    if (!copied.has(b)) {
      buckets[b] = new Map(buckets[b]);
      copied.add(b);
    }
    const bucket = buckets[b] as Map<string, Tally>;
    const before = bucket.get(e.from);
    bucket.set(e.from, {
      sum: (before?.sum ?? 0) + givenFraction(e),
      count: (before?.count ?? 0) + 1,
    });
  }
  return buckets === null ? base : { generation, buckets };
}

/** The reducer hook: resources, the latest round's moves and the giving tally. */
export function deriveDonorView(previous: unknown, entries: readonly InteractionEntry[]): unknown {
  const base: DonorViewState = isDonorViewState(previous)
    ? previous
    : { kind: "donor-game-view", resources: EMPTY, round: NO_ROUND, giving: NO_GIVING };
  const resources = deriveDonor(base.resources, entries);
  const round = deriveRound(base.round, entries);
  const giving = deriveGiving(base.giving, entries);
  return resources === base.resources && round === base.round && giving === base.giving
    ? base
    : { kind: "donor-game-view", resources, round, giving };
}

/**
 * An agent's giving in the viewed generation: the mean share it gave over its answered moves so
 * far (classic payoff: its share of cooperations); null before its first one of the generation.
 */
export function givingOf(
  state: Pick<ViewerState, "scenario" | "generation">,
  agentId: string,
): number | null {
  if (!isDonorViewState(state.scenario)) return null;
  const tally = state.scenario.giving;
  if (tally.generation !== state.generation) return null;
  const t = tally.buckets[bucketOf(agentId)]?.get(agentId);
  return t ? t.sum / t.count : null;
}

/** How a move is drawn on the graph's edge: its interaction colour, thicker the more it gives. */
function moveEdge(entry: InteractionEntry): MoveEdge {
  switch (entry.kind) {
    case "donation":
      return {
        from: entry.from,
        to: entry.to!,
        color: fractionColor(givenFraction(entry)),
        width: 1.2 + 2.8 * givenFraction(entry),
      };
    case "punishment":
      return { from: entry.from, to: entry.to!, color: PUNISHMENT_COLOR, width: 3 };
    default:
      return { from: entry.from, to: entry.to!, color: REFUSAL_COLOR, width: 1.2 };
  }
}

/** The latest round's moves as arrows on the graph (the reducer chose them: `deriveRound`). */
export function donorMoveHighlights(state: ViewerState): MoveHighlights | null {
  const r = roundMoves(state);
  if (r.total === 0) return null;
  return {
    label: `generation ${r.generation}, round ${r.round}`,
    edges: r.moves.map(moveEdge),
    omitted: r.total - r.moves.length,
    legend: [
      ...(classicPayoff(state.run?.config ?? null)
        ? [
            { label: "defected", color: fractionColor(0) },
            { label: "cooperated (thicker)", color: fractionColor(1) },
          ]
        : [
            { label: "gave 0%", color: fractionColor(0) },
            { label: "100% (thicker)", color: fractionColor(1) },
          ]),
      { label: "punished", color: PUNISHMENT_COLOR },
      { label: "refused", color: REFUSAL_COLOR },
    ],
  };
}

/**
 * Resource levels an interaction reveals, as [agentId, value] pairs, for the game in
 * `entry.t.game`.
 */
export function resourceUpdates(entry: InteractionEntry): [string, number][] {
  if (entry.kind === "strategy-revised" || entry.to === null) return [];
  const donor = num(entry.data.donorAfter);
  const recipient = num(entry.data.recipientAfter);
  const out: [string, number][] = [];
  if (donor !== null) out.push([entry.from, donor]);
  if (recipient !== null) out.push([entry.to, recipient]);
  return out;
}

/** The reducer hook: folds a batch's interactions into the resource levels (copy-on-write). */
export function deriveDonor(previous: unknown, entries: readonly InteractionEntry[]): DonorDerived {
  const base = isDonorDerived(previous) ? previous : EMPTY;
  let generation = base.generation;
  let levels = base.levels;
  let fresh = false;
  const touched = new Set<string>();
  for (const e of entries) {
    const updates = resourceUpdates(e);
    if (updates.length === 0) continue;
    if (e.t.generation !== generation) {
      // A new generation: everyone starts again from the endowment.
      generation = e.t.generation;
      levels = {};
      fresh = true;
      touched.clear();
    } else if (!fresh) {
      levels = { ...levels };
      fresh = true;
    }
    const game = e.t.game ?? 1;
    for (const [id, value] of updates) {
      if (!touched.has(id)) {
        levels[id] = { ...levels[id] };
        touched.add(id);
      }
      levels[id]![game] = value;
    }
  }
  return fresh ? { kind: "donor-game", generation, levels } : base;
}

/**
 * Resources every agent starts a generation with (the config's `donorGame.endowment`); null if
 * unknown.
 */
export function initialResources(config: unknown): number | null {
  const endowment = (config as { donorGame?: { endowment?: unknown } } | null)?.donorGame
    ?.endowment;
  return num(endowment);
}

/** Whether the run plays the classic payoff (cooperate or defect: `donorGame.payoff`). */
export function classicPayoff(config: unknown): boolean {
  return (config as { donorGame?: { payoff?: unknown } } | null)?.donorGame?.payoff === "classic";
}

/** An agent's holdings per game in the viewed generation ({} before it has played). */
export function resourceLevels(
  state: Pick<ViewerState, "scenario" | "generation">,
  agentId: string,
): Record<number, number> {
  const d = donorState(state);
  return d.generation === state.generation ? (d.levels[agentId] ?? {}) : {};
}

/**
 * An agent's resources now: the mean over games of its latest levels this generation, else the
 * endowment.
 */
export function currentResources(
  state: Pick<ViewerState, "scenario" | "generation" | "run">,
  agent: Pick<AgentState, "id">,
): number | null {
  const values = Object.values(resourceLevels(state, agent.id));
  if (values.length > 0) return values.reduce((a, b) => a + b, 0) / values.length;
  return initialResources(state.run?.config ?? null);
}

const MEASURES: readonly AgentMeasure[] = [
  { id: "resources", label: "resources", value: (agent, state) => currentResources(state, agent) },
  { id: "score", label: "last score", column: "score", value: (agent) => latestScore(agent) },
  {
    id: "giving",
    label: "giving",
    size: false,
    color: true,
    format: "percent",
    value: (agent, state) => givingOf(state, agent.id),
  },
];

export const donorGameView = defineView({
  id: "donor-game",
  title: "Donor Game",
  generationCharts(keys: readonly string[]) {
    const present = new Set(keys);
    return CHARTS.map((c) => ({
      ...c,
      series: c.series.filter((s) => present.has(s.key) || keys.length === 0),
    })).filter((c) => c.series.length > 0);
  },
  roundChart() {
    return {
      title: "Donation fraction by round (viewed generation)",
      metric: "avgDonationFraction",
      format: "percent" as const,
      seriesLabel: (game: number) => `game ${game}`,
    };
  },
  interactionStyle(entry: InteractionEntry) {
    switch (entry.kind) {
      case "donation":
        return { color: fractionColor(num(entry.data.fraction) ?? 0), size: 3 };
      case "punishment":
        return { color: PUNISHMENT_COLOR, size: 4 };
      case "refusal":
        return { color: REFUSAL_COLOR, size: 3 };
      default:
        return null;
    }
  },
  interactionLegend: [
    { label: "donation 0%", color: fractionColor(0) },
    { label: "50%", color: fractionColor(0.5) },
    { label: "100%", color: fractionColor(1) },
    { label: "punishment", color: PUNISHMENT_COLOR },
    { label: "refusal", color: REFUSAL_COLOR },
  ],
  describeInteraction(entry: InteractionEntry, side: "from" | "to" = "from") {
    const d = entry.data;
    if (side === "to") {
      switch (entry.kind) {
        case "donation":
          return `received ${fmt(d.received)} from ${entry.from} (who gave ${fmt(d.amount)}, ${Math.round((num(d.fraction) ?? 0) * 100)}%)`;
        case "punishment":
          return `punished by ${entry.from}: ${fmt(d.recipientBefore)} → ${fmt(d.recipientAfter)}`;
        case "refusal":
          return `${entry.from} refused to play`;
        default:
          return `${entry.kind} from ${entry.from}`;
      }
    }
    switch (entry.kind) {
      case "donation":
        return `gave ${fmt(d.amount)} (${Math.round((num(d.fraction) ?? 0) * 100)}%) to ${entry.to}; they received ${fmt(d.received)}`;
      case "punishment":
        return `spent ${fmt(d.amount)} punishing ${entry.to} (${fmt(d.recipientBefore)} → ${fmt(d.recipientAfter)})`;
      case "refusal":
        return `refused to play with ${entry.to}`;
      case "strategy-revised":
        return "revised its strategy";
      default:
        return `${entry.kind}${entry.to ? ` → ${entry.to}` : ""}`;
    }
  },
  strategyFamily(agent: AgentState) {
    if (!agent.mind) return "unknown";
    if (agent.mind.kind === "policy") {
      const family = POLICY_FAMILIES[agent.mind.name] ?? agent.mind.name;
      // An image scorer that punishes is a punisher.
      const punish = num(agent.mind.params?.punish);
      return family === "reputation" && punish !== null && punish > 0 ? "punisher" : family;
    }
    return agent.strategy ? classifyStrategy(agent.strategy) : "unknown";
  },
  familyColors: DONOR_FAMILY_COLORS,
  agentMeasures() {
    return MEASURES;
  },
  inspectorFields(agent: AgentState, state: ViewerState) {
    const levels = Object.entries(resourceLevels(state, agent.id));
    return [
      {
        id: "resources",
        label: "resources",
        value: fmtNumber(currentResources(state, agent)),
        ...(levels.length > 1
          ? { detail: `(${levels.map(([g, v]) => `game ${g}: ${fmtNumber(v)}`).join(", ")})` }
          : {}),
      },
    ];
  },
  scores: { title: "Scores per generation", label: "score" },
  strategyRevision(entry: InteractionEntry) {
    if (entry.kind !== "strategy-revised") return null;
    const d = entry.data;
    return {
      ...(typeof d.strategy === "string" || d.strategy === null ? { strategy: d.strategy } : {}),
      ...(typeof d.strategyUnusable === "string" ? { strategyUnusable: d.strategyUnusable } : {}),
      ...(typeof d.reasoning === "string" ? { reasoning: d.reasoning } : {}),
    };
  },
  derive: deriveDonorView,
  moveHighlights: donorMoveHighlights,
});

export default donorGameView;
