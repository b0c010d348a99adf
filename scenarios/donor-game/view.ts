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
 * and punishment events report them (`donorAfter`, `recipientAfter`).
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

/** The Donor Game's derived state of a viewer state (empty before any donation). */
export function donorState(state: Pick<ViewerState, "scenario">): DonorDerived {
  return isDonorDerived(state.scenario) ? state.scenario : EMPTY;
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
  derive: deriveDonor,
});

export default donorGameView;
