import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderTemplate, type AnswerSchema } from "../../sim/index.js";
import type { PublicGoodsConfig } from "./config.js";

/**
 * The Mustache templates in prompts/, read once; edit them there (changed prompts change cache
 * keys).
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), "prompts");
const read = (name: string) => readFileSync(join(DIR, name), "utf8");
const TEMPLATES = {
  system: read("system.md"),
  contribution: read("contribution.md"),
  reask: read("reask.md"),
};

const render = (template: string, view: object): string => renderTemplate(template, view).trim();

/** Units as agents see them: at most two decimals, no trailing zeros. */
export const units = (value: number): string => String(Math.round(value * 100) / 100);

const percent = (fraction: number | null): string =>
  fraction === null ? "no usable answers" : `${Math.round(fraction * 100)}%`;

export function systemPrompt(config: PublicGoodsConfig, players: number): string {
  return render(TEMPLATES.system, {
    players,
    endowment: units(config.endowment),
    multiplier: config.multiplier,
    rounds: config.rounds,
    survivorPercent: Math.round(config.survivorFraction * 100),
    // Graph update rules replace one place at a time, not the lowest-scoring share.
    truncation: config.update.rule === "truncation",
  });
}

/** What the contribution prompt shows an agent in one round. */
export interface ContributionView {
  name: string;
  generation: number;
  round: number;
  /** Neighbours' names, in population order. */
  neighbours: readonly string[];
  /** Survivors' records told to a newborn (sorted by score, best first); null: none. */
  advice: readonly { score: number; fraction: number | null }[] | null;
  /** Last round: own contribution, each neighbour's (same order as `neighbours`), own payoff. */
  previous: { own: number; neighbours: readonly number[]; payoff: number } | null;
}

export function contributionPrompt(config: PublicGoodsConfig, view: ContributionView): string {
  const k = view.neighbours.length;
  return render(TEMPLATES.contribution, {
    name: view.name,
    generation: view.generation,
    round: view.round,
    rounds: config.rounds,
    endowment: units(config.endowment),
    neighbourCount: k,
    oneNeighbour: k === 1,
    hasNeighbours: k > 0,
    neighbourList: view.neighbours.join(", "),
    groups: k + 1,
    oneGroup: k === 0,
    truncation: config.update.rule === "truncation",
    advice:
      view.advice && view.advice.length > 0
        ? {
            survivors: view.advice.map((a) => ({
              score: units(a.score),
              percent: percent(a.fraction),
            })),
          }
        : false,
    previous: view.previous
      ? {
          own: units(view.previous.own),
          contributions: view.neighbours
            .map((name, i) => `${name} ${units(view.previous!.neighbours[i]!)}`)
            .join(", "),
          payoff: units(view.previous.payoff),
        }
      : false,
  });
}

export function reaskPrompt(config: PublicGoodsConfig, reason: string): string {
  return render(TEMPLATES.reask, { reason, endowment: units(config.endowment) });
}

/**
 * The answer as JSON, for profiles with `responseFormat: json_schema` (strict: all fields
 * required).
 */
export function contributionSchema(config: PublicGoodsConfig): AnswerSchema {
  return {
    name: "public_goods_contribution",
    schema: {
      type: "object",
      properties: {
        justification: { type: "string" },
        amount: { type: "number", minimum: 0, maximum: config.endowment },
      },
      required: ["justification", "amount"],
      additionalProperties: false,
    },
  };
}
