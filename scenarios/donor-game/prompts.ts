import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentIdParts } from "../../sim/core/ids.js";
import { renderTemplate } from "../../sim/core/prompt-template.js";
import { parse as parseYaml } from "yaml";
import type { DonorGameConfig } from "./config.js";
import { pythonFixed2, type TraceEntry } from "./trace.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "prompts");
const read = (name: string) => readFileSync(join(DIR, name), "utf8");

const TEMPLATES = {
  system: read("system.md"),
  strategyFirst: read("strategy-first.md"),
  strategyNext: read("strategy-next.md"),
  donation: read("donation.md"),
  reask: read("reask.md"),
  // The classic payoff (cooperate or defect) has its own game description, question and re-ask.
  systemClassic: read("system-classic.md"),
  donationClassic: read("donation-classic.md"),
  reaskClassic: read("reask-classic.md"),
  reaskStrategy: read("reask-strategy.md"),
};
const TRACE = parseYaml(read("trace.yaml")) as Record<
  TraceEntry["kind"] | "cooperate" | "defect",
  string
>;

/**
 * The name an agent goes by in prompts: the released code's `<generation>_<index>` (agent `g2-a5`
 * is "2_5"), so that models read the paper's prompts; data files keep the unambiguous id.
 */
export function promptName(id: string): string {
  const parts = agentIdParts(id);
  return parts ? `${parts.generation}_${parts.index}` : id;
}

const render = (template: string, view: object): string => renderTemplate(template, view).trim();

/** Units as shown to agents: at most two decimals, no trailing zeros. */
export function formatUnits(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function rules(config: DonorGameConfig) {
  return {
    endowment: formatUnits(config.endowment),
    multiplier: config.multiplier,
    traceDepth: config.traceDepth,
    punishmentLoss: config.punishmentLoss,
    punishmentNone: config.punishment === "none",
    punishmentCostly: config.punishment === "costly",
    partnerChoice: config.punishment === "partner-choice",
    survivorPercent: Math.round(config.survivorFraction * 100),
    // How places are refilled (update:), as the system prompt tells it.
    truncation: config.update.rule === "truncation",
    deathBirth: config.update.rule === "death-birth",
    birthDeath: config.update.rule === "birth-death",
    imitation: config.update.rule === "imitation",
    updates: config.update.rule === "truncation" ? 0 : config.update.updates,
    graphSchedule: config.schedule === "graph",
    benefit: formatUnits(config.benefit),
    cost: formatUnits(config.cost),
  };
}

const systemPrompts = new WeakMap<DonorGameConfig, string>();

export function systemPrompt(config: DonorGameConfig): string {
  let text = systemPrompts.get(config);
  if (text === undefined) {
    const template = config.payoff === "classic" ? TEMPLATES.systemClassic : TEMPLATES.system;
    text = render(template, rules(config));
    systemPrompts.set(config, text);
  }
  return text;
}

/**
 * With no usable advice (generation 1, or no survivor stated a usable strategy): the first prompt.
 * `of`: how many survivors' advice `survivors` was sampled from (see adviceSample); the prompt
 * says so when it shows fewer.
 */
export function strategyPrompt(
  config: DonorGameConfig,
  name: string,
  survivors: readonly { strategy: string; score: number }[] | null,
  of = survivors?.length ?? 0,
  /** Whom the advice comes from: a drawn parent shown first; only survivors linked to the agent. */
  from: { mentor: boolean; nearby: boolean } = { mentor: false, nearby: false },
): string {
  if (!survivors || survivors.length === 0)
    return render(TEMPLATES.strategyFirst, { ...rules(config), name: promptName(name) });
  return render(TEMPLATES.strategyNext, {
    ...rules(config),
    name: promptName(name),
    ...from,
    showScores: config.showScores,
    sample: of > survivors.length ? { shown: survivors.length, of } : false,
    survivors: survivors.map((s) => ({ strategy: s.strategy, score: formatUnits(s.score) })),
  });
}

/**
 * `strategy` null: the agent stated no usable strategy, and the prompt says so. Under the classic
 * payoff the holdings are payoffs and the question is cooperate or defect.
 */
export function donationPrompt(
  config: DonorGameConfig,
  view: {
    name: string;
    strategy: string | null | undefined;
    generation: number;
    round: number;
    recipient: string;
    recipientHoldings: number;
    holdings: number;
    trace: readonly TraceEntry[];
    /** The holdings as written (compat: released-code prints them as Python does). */
    shown?: { holdings: string; recipientHoldings: string };
  },
): string {
  const classic = config.payoff === "classic";
  const released = config.compat === "released-code";
  return render(classic ? TEMPLATES.donationClassic : TEMPLATES.donation, {
    ...rules(config),
    ...view,
    name: promptName(view.name),
    recipient: promptName(view.recipient),
    strategy: view.strategy ?? "",
    noStrategy: view.strategy === null,
    holdings: view.shown?.holdings ?? formatUnits(view.holdings),
    recipientHoldings: view.shown?.recipientHoldings ?? formatUnits(view.recipientHoldings),
    trace: view.trace.map((entry) => traceLine(entry, classic, released)),
  });
}

/** The re-ask after an unusable strategy (no "My strategy will be"), with the reason. */
export function strategyReaskPrompt(config: DonorGameConfig, reason: string): string {
  return render(TEMPLATES.reaskStrategy, { ...rules(config), reason });
}

export function reaskPrompt(config: DonorGameConfig, reason: string, holdings: number): string {
  const template = config.payoff === "classic" ? TEMPLATES.reaskClassic : TEMPLATES.reask;
  return render(template, { ...rules(config), reason, holdings: formatUnits(holdings) });
}

/**
 * `classic`: a donation reads as a cooperation (fraction 1) or a defection (fraction 0);
 * `released`: the percentage as the released code's Python prints it (ties to even).
 */
export function traceLine(entry: TraceEntry, classic = false, released = false): string {
  if (entry.kind === "none") return render(TRACE.none, { agent: promptName(entry.agent) });
  const kind =
    classic && entry.kind === "donate"
      ? entry.fraction === 1
        ? "cooperate"
        : "defect"
      : entry.kind;
  return render(TRACE[kind], {
    ...entry,
    donor: promptName(entry.donor),
    recipient: promptName(entry.recipient),
    percent: released
      ? pythonFixed2((entry.fraction ?? 0) * 100)
      : ((entry.fraction ?? 0) * 100).toFixed(2),
    amount: formatUnits(entry.amount),
    taken: formatUnits(entry.taken ?? 0),
  });
}
