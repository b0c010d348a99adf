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

/** `name` undefined: an anonymous debater (`debate.anonymous`). */
export const systemPrompt = (name: string | undefined, count: number, p: Persona): string =>
  render("system", {
    name,
    count,
    persona: p.persona,
    traitText: p.trait ? TRAIT_TEXT[p.trait] : undefined,
    advice: p.advice,
  });

export const questionPrompt = (q: Question): string => render("question", questionView(q));

/** An answer shown to a debater or the summariser; `name` undefined under `debate.anonymous`. */
export interface Shown {
  name?: string;
  text: string;
}

export const debatePrompt = (q: Question, others: Shown[]): string =>
  render("debate", { ...questionView(q), others });

/** `summary` null: the summariser gave none that could be used, and the prompt says so. */
export const debateSummaryPrompt = (q: Question, summary: string | null): string =>
  render("debate-summary", { ...questionView(q), summary });

export const reflectionPrompt = (q: Question): string => render("reflection", questionView(q));

export const summarisePrompt = (q: Question, others: Shown[]): string =>
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

/**
 * The released MAD code's prompts (Skytliang/Multi-Agents-Debate, code/utils/config4all.json, at
 * the commit in tests/fixtures/mad/), for `debate.compat: mad-released`.
 */
const MAD_RELEASED = JSON.parse(readFileSync(join(DIR, "mad-released.json"), "utf8")) as Record<
  | "player_meta_prompt"
  | "moderator_meta_prompt"
  | "affirmative_prompt"
  | "negative_prompt"
  | "moderator_prompt"
  | "judge_prompt_last1"
  | "judge_prompt_last2"
  | "debate_prompt",
  string
>;

/**
 * A released MAD prompt with its `##name##` placeholders filled in the given order, each everywhere
 * (as the released code's chained `str.replace` calls do, so a value holding a later placeholder is
 * filled too).
 */
export const madReleasedPrompt = (
  key: keyof typeof MAD_RELEASED,
  fill: readonly [name: string, value: string][],
): string =>
  fill.reduce(
    (text, [name, value]) => text.replaceAll(`##${name}##`, () => value),
    MAD_RELEASED[key],
  );

/** The released MAD's debate topic: the question, with its lettered choices on their own lines. */
export const madReleasedTopic = (q: Question): string =>
  [q.question, ...questionView(q).choices.map((c) => `(${c.letter}) ${c.text}`)].join("\n");

/**
 * Du et al.'s and MachineSoM's own prompts, byte for byte, for `debate.compat: du` (gsm/gen_gsm.py)
 * and `machinesom` (src/prompt.py's math prompts and run_main.py's trait turn); README, "Fidelity".
 */
const PEER_NAMES = [
  "du-question",
  "du-debate",
  "du-reflection",
  "machinesom-trait",
  "machinesom-question",
  "machinesom-debate",
  "machinesom-reflection",
] as const;
type PeerTemplate = (typeof PEER_NAMES)[number];

const PEER_TEMPLATES = Object.fromEntries(
  PEER_NAMES.map((name) => [name, readFileSync(join(DIR, `${name}.md`), "utf8")]),
) as Record<PeerTemplate, string>;

/** Not trimmed (gen_gsm.py's question ends with a space): only the file's last newline goes. */
const renderPeer = (name: PeerTemplate, view: object): string =>
  renderTemplate(PEER_TEMPLATES[name], view).replace(/\n$/, "");

export type Peer = "du" | "machinesom";

export const peerQuestionPrompt = (peer: Peer, q: Question): string =>
  renderPeer(`${peer}-question`, { question: q.question });

export const peerDebatePrompt = (peer: Peer, q: Question, others: Shown[]): string =>
  renderPeer(`${peer}-debate`, { question: q.question, others });

export const peerReflectionPrompt = (peer: Peer): string => renderPeer(`${peer}-reflection`, {});

/** MachineSoM's expert role for its math set (src/prompt.py, agent_roles_datasets). */
export const MACHINESOM_EXPERT = "an expert skilled in solving mathematical problems";

/**
 * MachineSoM's trait turn (run_main.py's create_confident / create_temperate): its own character
 * texts, "Imagine you are" for the confident (overconfident) agent and "You are" for the temperate
 * (easy-going) one.
 */
export function machinesomTraitPrompt(expert: string, trait: string): string {
  const confident = trait === "overconfident";
  return renderPeer("machinesom-trait", {
    imagine: confident,
    expert,
    character: confident
      ? "are confident in your answer and often persuades other agents to believe in you"
      : "are objective and unbiased, and you can be persuaded if other agent's answers make sense",
  });
}
