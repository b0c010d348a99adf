/**
 * The Donor Game's view: resource and cooperation charts, donations coloured by the share given
 * (red = nothing, green = everything), punishment and refusal in their own colours, and agents
 * grouped into strategy families (policy minds by their policy, LLM minds by reading their
 * strategy text).
 */
import { fractionColor } from "../colors.js";
import type { InteractionEntry } from "../state/types.js";
import type { ChartSpec, ScenarioView } from "./types.js";

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
  if (/\b(if|unless|depending|depends|reciproc|in return|previous|history|past|last|reputation|behaviou?r|trace)\b/.test(s)) return "conditional";
  if (/\b(nothing|not (?:give|donate)|never (?:give|donate)|keep everything|0\s*%)/.test(s)) return "defector";
  const pct = /(\d+(?:\.\d+)?)\s*%/.exec(s);
  if (pct) {
    const p = Number(pct[1]);
    if (p === 0) return "defector";
    return p >= 50 ? "generous" : "moderate";
  }
  if (/\b(all|everything|generous|maximi[sz]e (?:the )?(?:group|collective))\b/.test(s)) return "generous";
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

export const donorGameView: ScenarioView = {
  id: "donor-game",
  title: "Donor Game",
  generationCharts(keys) {
    const present = new Set(keys);
    return CHARTS.map((c) => ({ ...c, series: c.series.filter((s) => present.has(s.key) || keys.length === 0) })).filter((c) => c.series.length > 0);
  },
  roundChart() {
    return { title: "Donation fraction by round (viewed generation)", metric: "avgDonationFraction", format: "percent" };
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
  describeInteraction(entry, side = "from") {
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
  strategyFamily(agent) {
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
  resourcesLabel: "resources",
  initialResources(config) {
    const endowment = (config as { donorGame?: { endowment?: unknown } } | null)?.donorGame?.endowment;
    return num(endowment);
  },
  resourceUpdates(event) {
    if (event.kind === "strategy-revised" || event.to === null) return [];
    const donor = num(event.data.donorAfter);
    const recipient = num(event.data.recipientAfter);
    const out: [string, number][] = [];
    if (donor !== null) out.push([event.from, donor]);
    if (recipient !== null) out.push([event.to, recipient]);
    return out;
  },
};

