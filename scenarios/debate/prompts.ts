import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderTemplate } from "../../sim/core/prompt-template.js";
import type { Question } from "./questions.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "prompts");
const NAMES = [
  "system",
  "question",
  "debate",
  "debate-summary",
  "reflection",
  "summarise",
  "survey",
  "mad-system",
  "mad-turn",
  "judge-system",
  "judge-round",
  "judge-final",
  "advice-first",
  "advice-next",
] as const;
type TemplateName = (typeof NAMES)[number];

const TEMPLATES = Object.fromEntries(
  NAMES.map((name) => [name, readFileSync(join(DIR, `${name}.md`), "utf8")]),
) as Record<TemplateName, string>;

const render = (name: TemplateName, view: object): string =>
  renderTemplate(TEMPLATES[name], view).trim();

/**
 * The view every question-bearing template shares: the text, lettered choices, and whether it is an
 * open topic.
 */
function questionView(q: Question) {
  return {
    question: q.question,
    open: q.answers.length === 0,
    choices: (q.choices ?? []).map((text, i) => ({ letter: String.fromCharCode(65 + i), text })),
  };
}

const TRAIT_TEXT: Record<string, string> = {
  // MachineSoM's two traits (zjunlp/MachineSoM src/prompt.py), paraphrased.
  "easy-going":
    "are objective and unbiased, and you can be persuaded if other agents' answers make sense",
  overconfident: "are confident in your answer and often persuade other agents to believe in you",
};

export interface Persona {
  persona?: string;
  trait?: string;
  advice?: string;
}

export const systemPrompt = (name: string, count: number, p: Persona): string =>
  render("system", {
    name,
    count,
    persona: p.persona,
    traitText: p.trait ? TRAIT_TEXT[p.trait] : undefined,
    advice: p.advice,
  });

export const questionPrompt = (q: Question): string => render("question", questionView(q));

export const debatePrompt = (q: Question, others: { name: string; text: string }[]): string =>
  render("debate", { ...questionView(q), others });

/** `summary` null: the summariser gave none that could be used, and the prompt says so. */
export const debateSummaryPrompt = (q: Question, summary: string | null): string =>
  render("debate-summary", { ...questionView(q), summary });

export const reflectionPrompt = (q: Question): string => render("reflection", questionView(q));

export const summarisePrompt = (q: Question, others: { name: string; text: string }[]): string =>
  render("summarise", { ...questionView(q), others });

export const surveyPrompt = (q: Question): string => render("survey", { statement: q.question });

export function madSystemPrompt(
  q: Question,
  name: string,
  side: string,
  disagreement: "low" | "medium" | "high",
  p: Persona,
): string {
  return render("mad-system", {
    ...questionView(q),
    name,
    side,
    [disagreement]: true,
    persona: p.persona,
    advice: p.advice,
  });
}

export function madTurnPrompt(
  q: Question,
  turn: { own?: string; opponent?: string; opponentSide?: string; disagree: boolean },
): string {
  return render("mad-turn", {
    ...questionView(q),
    opening: turn.opponent === undefined && turn.own === undefined,
    ...turn,
  });
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const judgeSystemPrompt = (q: Question, sides: string[]): string =>
  render("judge-system", { ...questionView(q), count: sides.length, sideList: sides.join(", ") });

export const judgeRoundPrompt = (
  round: number,
  sides: string[],
  args: { side: string; text: string }[],
): string =>
  render("judge-round", {
    round,
    sideChoices: sides.map(capitalise).join(" or "),
    arguments: args.map((a) => ({ ...a, Side: capitalise(a.side) })),
  });

/**
 * `from`: the first round whose arguments are shown, when earlier ones were left out to fit the
 * model's context.
 */
export const judgeFinalPrompt = (
  rounds: number,
  sides: string[],
  args: { round: number; side: string; text: string }[],
  from?: number,
): string =>
  render("judge-final", {
    rounds,
    from,
    sideChoices: sides.map(capitalise).join(" or "),
    arguments: args,
  });

/**
 * The advice prompt: first advice, or advice building on the survivors' (those whose advice was
 * unusable, "", pass none on). `truncation`: the selection rule it describes is truncation, not a
 * graph update rule.
 */
export function advicePrompt(
  survivors: { advice: string; accuracy: number }[] | null,
  truncation: boolean,
): string {
  const passed = survivors?.filter((s) => s.advice !== "") ?? [];
  if (passed.length === 0) return render("advice-first", { truncation });
  return render("advice-next", {
    truncation,
    survivors: passed.map((s) => ({
      advice: s.advice,
      accuracy: `${Math.round(s.accuracy * 100)}%`,
    })),
  });
}
