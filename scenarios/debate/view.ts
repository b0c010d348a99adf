/**
 * The debate's view (discovered by the viewer: scenarios/<id>/view.ts; its panel is
 * view/panel.tsx):
 * the transcript as a chat per question, round and agent (answers, summaries,
 * judge verdicts, private surveys), debaters coloured by their current answer (right, wrong,
 * undecided) at the viewed time, accuracy and agreement charts, attitude lines for persona debates.
 *
 * The chat needs more history than the reducer's interaction ring keeps, so this module derives
 * its own bounded state from interactions (`derive`, a pure fold kept in ViewerState.scenario):
 * the last MAX_QUESTIONS questions with their entries (shared event objects, never copied) and
 * each debater's latest answer. Judge and summariser are roles off the graph (their slot is their
 * own id): they appear in the chat and the inspector, never as nodes.
 */
import {
  defineView,
  latestScore,
  truncate,
  type AgentMeasure,
  type AgentState,
  type ChartSpec,
  type InteractionEntry,
  type RoundRow,
  type TimeCoords,
  type ViewerState,
} from "../../viewer/src/scenarios/api.js";

/** Questions kept for the chat (older ones are dropped; their metrics stay in the charts). */
export const MAX_QUESTIONS = 200;
/** Entries kept per question (a question with more keeps its first ones and counts the rest). */
export const MAX_ENTRIES = 1000;

export const DEBATE_KINDS = new Set(["answer", "summary", "judge", "survey"]);

export const ANSWER_COLORS: Record<string, string> = {
  right: "#2ca02c",
  wrong: "#d62728",
  // An answer the parser could not read: scored wrong by the metrics, so a darker red than "wrong".
  unreadable: "#7f1d1d",
  undecided: "#c4c8ce",
  // Stances of persona debates (answers without a key): kept clear of right/wrong's green and red.
  "answer agree": "#4e79a7",
  "answer disagree": "#f28e2b",
  "answer neutral": "#b07aa1",
};

export interface DebateQuestion {
  /** `${generation}:${questionIndex}`. */
  key: string;
  generation: number;
  /** 0-based within the generation (t.question). */
  index: number;
  questionId: string;
  /** The question's text, or the topic of a persona debate. */
  text: string;
  /**
   * Its accepted answers from the answer events ([] for a topic), null when no event carried them
   * (older runs).
   */
  accepted: string[] | null;
  entries: InteractionEntry[];
  /** Entries beyond MAX_ENTRIES, not kept. */
  dropped: number;
}

export interface CurrentAnswer {
  key: string;
  round: number;
  answer: string | null;
  correct: boolean | null;
  text: string;
  seq: number;
}

export interface DebateDerived {
  kind: "debate";
  /** In order of first appearance, at most MAX_QUESTIONS. */
  questions: DebateQuestion[];
  droppedQuestions: number;
  /** Each debater's latest answer. */
  current: Record<string, CurrentAnswer>;
  /** The question of the newest answer (the one being debated at the viewed time). */
  latestKey: string | null;
}

const EMPTY: DebateDerived = {
  kind: "debate",
  questions: [],
  droppedQuestions: 0,
  current: {},
  latestKey: null,
};

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);

export const questionKey = (t: TimeCoords): string => `${t.generation}:${t.question ?? 0}`;
export const roundOf = (e: InteractionEntry): number => num(e.data.round) ?? e.t.round ?? 0;

export function isDebateDerived(v: unknown): v is DebateDerived {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "debate";
}

/** The debate's derived state of a viewer state (empty before any debate interaction). */
export function debateState(state: Pick<ViewerState, "scenario">): DebateDerived {
  return isDebateDerived(state.scenario) ? state.scenario : EMPTY;
}

/**
 * The reducer hook: folds a batch's debate interactions into a new derived state (copy-on-write).
 */
export function deriveDebate(
  previous: unknown,
  entries: readonly InteractionEntry[],
): DebateDerived {
  const base = isDebateDerived(previous) ? previous : EMPTY;
  const touched = new Map<string, DebateQuestion>();
  const added: DebateQuestion[] = [];
  let current = base.current;
  let latestKey = base.latestKey;
  for (const e of entries) {
    if (!DEBATE_KINDS.has(e.kind)) continue;
    const key = questionKey(e.t);
    let q = touched.get(key);
    if (!q) {
      const old = findQuestion(base, key);
      q = old
        ? { ...old, entries: [...old.entries] }
        : {
            key,
            generation: e.t.generation,
            index: e.t.question ?? 0,
            questionId: str(e.data.questionId) ?? key,
            text: "",
            accepted: null,
            entries: [],
            dropped: 0,
          };
      touched.set(key, q);
      if (!old) added.push(q);
    }
    if (q.text === "") q.text = str(e.data.questionText) ?? str(e.data.topic) ?? "";
    if (q.accepted === null && Array.isArray(e.data.accepted))
      q.accepted = e.data.accepted.filter((x): x is string => typeof x === "string");
    if (q.entries.length < MAX_ENTRIES) q.entries.push(e);
    else q.dropped++;
    if (e.kind === "answer") {
      if (current === base.current) current = { ...base.current };
      current[e.from] = {
        key,
        round: roundOf(e),
        answer: str(e.data.answer),
        correct: bool(e.data.correct),
        text: str(e.data.text) ?? "",
        seq: e.seq,
      };
      latestKey = key;
    }
  }
  if (touched.size === 0) return base;
  let questions = base.questions.map((q) => touched.get(q.key) ?? q).concat(added);
  let droppedQuestions = base.droppedQuestions;
  if (questions.length > MAX_QUESTIONS) {
    droppedQuestions += questions.length - MAX_QUESTIONS;
    questions = questions.slice(questions.length - MAX_QUESTIONS);
  }
  return { kind: "debate", questions, droppedQuestions, current, latestKey };
}

function findQuestion(d: DebateDerived, key: string): DebateQuestion | undefined {
  // The question being debated is nearly always the last one.
  for (let i = d.questions.length - 1; i >= 0; i--)
    if (d.questions[i]!.key === key) return d.questions[i];
  return undefined;
}

export type AnswerVerdict = "right" | "wrong" | "unreadable" | "undecided" | "unscored";

/**
 * right / wrong by the item's accepted answers; unreadable when the item has a key but no answer
 * could be read (the metrics count it wrong: `correct` is false); undecided without an answer and
 * without a score (a judge that did not decide, an unreadable stance on a topic); unscored without
 * a key (topics).
 */
export function verdictOf(answer: string | null, correct: boolean | null): AnswerVerdict {
  if (answer === null) return correct === false ? "unreadable" : "undecided";
  if (correct === null) return "unscored";
  return correct ? "right" : "wrong";
}

/**
 * The colour category of a debater at the viewed time: its answer to the question being debated.
 */
export function answerCategory(agentId: string, d: DebateDerived): string {
  const cur = d.current[agentId];
  // A debater that has not answered the current question yet holds no answer to it.
  if (!cur || cur.key !== d.latestKey) return "undecided";
  const verdict = verdictOf(cur.answer, cur.correct);
  return verdict === "unscored" ? `answer ${truncate(cur.answer ?? "", 24)}` : verdict;
}

export interface ChatItem {
  entry: InteractionEntry;
  kind: "answer" | "summary" | "judge" | "survey";
  from: string;
  to: string | null;
  round: number;
  side: string | null;
  pattern: string | null;
  answer: string | null;
  verdict: AnswerVerdict;
  text: string;
  /** Surveys are private: never shown to other agents, only to the viewer. */
  private: boolean;
  final: boolean;
  decided: boolean | null;
  attitude: number | null;
  sawFrom: string[];
}

export interface ChatRound {
  round: number;
  items: ChatItem[];
}

export function chatItem(e: InteractionEntry): ChatItem {
  const d = e.data;
  const answer = str(d.answer);
  return {
    entry: e,
    kind: e.kind as ChatItem["kind"],
    from: e.from,
    to: e.to,
    round: roundOf(e),
    side: str(d.side),
    pattern: str(d.pattern),
    answer,
    verdict:
      e.kind === "answer" || e.kind === "judge" ? verdictOf(answer, bool(d.correct)) : "unscored",
    text: readableText(str(d.text) ?? ""),
    private: e.kind === "survey",
    final: d.final === true,
    decided: bool(d.decided),
    attitude: num(d.attitude),
    sawFrom: Array.isArray(d.sawFrom)
      ? d.sawFrom.filter((x): x is string => typeof x === "string")
      : [],
  };
}

/**
 * A reply as people read it: a JSON object (MAD's judge answers in JSON) becomes "key: value"
 * lines; anything else is returned as is.
 */
export function readableText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return text;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return text;
    return Object.entries(parsed)
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join("\n");
  } catch {
    return text;
  }
}

/**
 * A question's chat: rounds in order, items in event order; `agent` keeps what it said or was sent.
 */
export function chatRounds(q: DebateQuestion, agent: string | null = null): ChatRound[] {
  const byRound = new Map<number, ChatItem[]>();
  for (const e of q.entries) {
    if (agent !== null && e.from !== agent && e.to !== agent) continue;
    const item = chatItem(e);
    let list = byRound.get(item.round);
    if (!list) byRound.set(item.round, (list = []));
    list.push(item);
  }
  return [...byRound.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([round, items]) => ({ round, items }));
}

/** The debaters of a question (authors of answers and surveys), in order of first appearance. */
export function questionDebaters(q: DebateQuestion): string[] {
  const seen = new Set<string>();
  for (const e of q.entries) if (e.kind === "answer" || e.kind === "survey") seen.add(e.from);
  return [...seen];
}

/**
 * Attitude lines of a persona debate: x = rounds with a survey, one series per debater (null: no
 * survey).
 */
export function attitudeSeries(q: DebateQuestion): {
  agents: string[];
  rounds: number[];
  values: (number | null)[][];
} {
  const surveys = q.entries.filter((e) => e.kind === "survey");
  const agents = [...new Set(surveys.map((e) => e.from))];
  const rounds = [...new Set(surveys.map(roundOf))].sort((a, b) => a - b);
  const at = new Map<string, number | null>();
  for (const e of surveys) at.set(`${e.from}@${roundOf(e)}`, num(e.data.attitude));
  return {
    agents,
    rounds,
    values: agents.map((a) => rounds.map((r) => at.get(`${a}@${r}`) ?? null)),
  };
}

const questionOf = (r: RoundRow): number => r.t.question ?? 0;
const roundOf_ = (r: RoundRow): number => r.t.round ?? 0;

/** Round metrics of one question (t.question) of the state's round generation, by round. */
export function questionRounds(
  rows: readonly RoundRow[],
  question: number,
): { rounds: number[]; accuracy: (number | null)[]; agreement: (number | null)[] } {
  const mine = rows
    .filter((r) => questionOf(r) === question)
    .sort((a, b) => roundOf_(a) - roundOf_(b));
  return {
    rounds: mine.map(roundOf_),
    accuracy: mine.map((r) => num(r.values.accuracy)),
    agreement: mine.map((r) => num(r.values.agreement)),
  };
}

/**
 * Per question of the round generation: accuracy of the first and of the last round seen, final
 * agreement.
 */
export function perQuestion(rows: readonly RoundRow[]): {
  questions: number[];
  first: (number | null)[];
  last: (number | null)[];
  agreement: (number | null)[];
} {
  const byGame = new Map<number, RoundRow[]>();
  for (const r of rows) {
    let list = byGame.get(questionOf(r));
    if (!list) byGame.set(questionOf(r), (list = []));
    list.push(r);
  }
  const games = [...byGame.keys()].sort((a, b) => a - b);
  const out = {
    questions: [] as number[],
    first: [] as (number | null)[],
    last: [] as (number | null)[],
    agreement: [] as (number | null)[],
  };
  for (const g of games) {
    const list = byGame
      .get(g)!
      .slice()
      .sort((a, b) => roundOf_(a) - roundOf_(b));
    out.questions.push(g + 1);
    out.first.push(num(list[0]!.values.accuracy));
    out.last.push(num(list[list.length - 1]!.values.accuracy));
    out.agreement.push(num(list[list.length - 1]!.values.agreement));
  }
  return out;
}

const CHARTS: ChartSpec[] = [
  {
    id: "debate-accuracy",
    title: "Accuracy per generation",
    yRange: [0, 1],
    format: "percent",
    series: [
      { key: "accuracy", label: "debaters", color: "#2ca02c" },
      { key: "majorityAccuracy", label: "majority", color: "#1f77b4" },
      { key: "judgeAccuracy", label: "judge", color: "#9467bd" },
      { key: "baselineAccuracy", label: "single-agent baseline", color: "#8a8f98" },
    ],
  },
  {
    id: "debate-agreement",
    title: "Agreement and conformity per generation",
    yRange: [0, 1],
    format: "percent",
    series: [
      { key: "agreement", label: "agreement", color: "#ff7f0e" },
      { key: "conformity", label: "conformity", color: "#e377c2" },
      { key: "ties", label: "ties", color: "#8a8f98" },
      { key: "judgeAffirmativeShare", label: "judge: affirmative", color: "#17becf" },
    ],
  },
  {
    id: "debate-switches",
    title: "Answer switches per generation",
    series: [
      { key: "wrongToRight", label: "wrong → right", color: "#2ca02c" },
      { key: "rightToWrong", label: "right → wrong", color: "#d62728" },
      { key: "gainOverBaseline", label: "gain over baseline", color: "#1f77b4" },
    ],
  },
  {
    id: "debate-rounds",
    title: "Rounds used and distinct answers",
    series: [
      { key: "roundsUsed", label: "rounds used", color: "#4e79a7" },
      { key: "distinctAnswers", label: "distinct answers", color: "#f28e2b" },
    ],
  },
  {
    id: "debate-attitude",
    title: "Attitude (0–10) per generation",
    series: [
      { key: "attitudeMean", label: "mean attitude", color: "#b07aa1" },
      { key: "attitudeDrift", label: "drift", color: "#9c755f" },
    ],
  },
  {
    id: "debate-cost",
    title: "Tokens and cost per question",
    series: [
      { key: "tokensPerQuestion", label: "tokens / question", color: "#59a14f" },
      { key: "costPerQuestion", label: "USD / question", color: "#e15759" },
    ],
  },
];

/**
 * A debater's accuracy in its last scored generation (generation-ended's scores): a column and the
 * node size.
 */
const MEASURES: readonly AgentMeasure[] = [
  { id: "accuracy", label: "accuracy", format: "percent", value: (agent) => latestScore(agent) },
];

export const debateView = defineView({
  id: "debate",
  title: "Debate",
  generationCharts(keys) {
    const present = new Set(keys);
    return CHARTS.map((c) => ({ ...c, series: c.series.filter((s) => present.has(s.key)) })).filter(
      (c) => c.series.length > 0,
    );
  },
  // Round metrics are drawn per question by the debate panel (one line per question would be a
  // tangle).
  roundChart() {
    return null;
  },
  interactionStyle() {
    // Answers, verdicts and surveys go to no one; summaries come from a role off the graph.
    return null;
  },
  interactionLegend: [],
  describeInteraction(entry, side = "from") {
    const item = chatItem(entry);
    const where = `round ${item.round}`;
    switch (item.kind) {
      case "answer":
        return `answered ${item.answer === null ? "nothing clear" : `“${truncate(item.answer, 40)}”`} (${item.verdict}) in ${where}${item.side ? ` as ${item.side}` : ""}`;
      case "judge":
        return `${item.final ? "final verdict" : "verdict"} in ${where}: ${item.decided === false ? "undecided" : `${item.side ?? "?"}, “${truncate(item.answer ?? "?", 40)}” (${item.verdict})`}`;
      case "summary":
        return side === "to"
          ? `summary from ${entry.from} in ${where}`
          : `summarised ${where} for ${entry.to ?? "?"}`;
      case "survey":
        return `private survey in ${where}: attitude ${item.attitude ?? "?"}/10`;
      default:
        return side === "to"
          ? `${entry.kind} from ${entry.from}`
          : `${entry.kind}${entry.to ? ` → ${entry.to}` : ""}`;
    }
  },
  strategyFamily(agent) {
    if (agent.role && agent.role !== "debater") return agent.role;
    if (agent.strategy) return truncate(agent.strategy, 28);
    return agent.mind ? agent.mind.name : "unknown";
  },
  familyColors: ANSWER_COLORS,
  familyLabel: "current answer",
  nodeCategory(agent: AgentState, state: ViewerState) {
    return answerCategory(agent.id, debateState(state));
  },
  nodeTooltip(agent: AgentState, state: ViewerState) {
    const d = debateState(state);
    const cur = d.current[agent.id];
    if (!cur) return agent.strategy ? `persona: ${agent.strategy}` : null;
    const stale = cur.key !== d.latestKey ? " (an earlier question)" : "";
    return `round ${cur.round}${stale}: ${cur.answer === null ? "no clear answer" : `“${cur.answer}”`} (${verdictOf(cur.answer, cur.correct)}) — ${cur.text}`;
  },
  agentMeasures() {
    return MEASURES;
  },
  // generation-ended's scores are each debater's accuracy over the generation's questions.
  scores: { title: "Accuracy per generation", label: "accuracy", format: "percent" },
  derive: deriveDebate,
});

export default debateView;
