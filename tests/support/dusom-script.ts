/**
 * The scripted "model" of the Du et al. and MachineSoM side-by-side fixtures
 * (tests/fixtures/du/, tests/fixtures/machinesom/): the same script answered the peers' released
 * code (run in a scratch folder, its transport replaced by a POST to this server; see the fixtures'
 * `generatedBy`) and answers our runs in scenarios/debate/tests/debate-peers.test.ts.
 *
 * Neither peer names its debaters, so a request is read from its shape alone: MachineSoM's trait
 * turn is acknowledged with "ok"; the question is the one whose text the first question turn
 * holds; the round is the number of answers already in the conversation; the debater is, in round
 * 0 (where debaters' prompts can be identical), the order in which the question's first answers
 * are asked for (both peers and our runs with `llm.maxConcurrency: 1` ask in population order), and
 * later the "Solver k" tag of its own first answer, the first assistant turn after the question.
 */
import type { ChatRequestRecord, Script } from "./fake-openai.js";

export interface PeerPlan {
  /** The questions' texts as the peer and we send them. */
  questions: string[];
  /** `answers[q][k][round]`: the number solver k (0-based) states for question q in a round. */
  answers: number[][][];
}

/** MachineSoM's trait turn ends so (run_main.py's create_confident / create_temperate). */
const TRAIT_END = "Please keep this in mind. If you understand please say ok only.";

export const isTraitTurn = (content: string): boolean => content.endsWith(TRAIT_END);

/** A scripted answer: the solver's tag and round, then the number in \boxed{}, as both ask. */
export const scriptedAnswer = (solver: number, round: number, value: number): string =>
  `Solver ${solver + 1}, round ${round}: I worked through it step by step.\n\\boxed{${value}}`;

/** What a request asks: the ack of a trait turn, or an answer (question index, round, solver). */
export type PeerRequest =
  { kind: "ack" } | { kind: "answer"; question: number; round: number; solver: number };

/**
 * Reads requests in arrival order (round 0's solver is its place among the question's round-0
 * requests), so one reader serves one run.
 */
export function peerReader(
  plan: PeerPlan,
): (req: Pick<ChatRequestRecord, "messages">) => PeerRequest {
  const firstAsked = new Map<number, number>();
  return (req) => {
    const turns = req.messages.filter((m) => m.role !== "system");
    if (turns.length === 1 && isTraitTurn(turns[0]!.content)) return { kind: "ack" };
    const conversation = isTraitTurn(turns[0]!.content) ? turns.slice(2) : turns;
    const question = plan.questions.findIndex((q) => conversation[0]!.content.includes(q));
    if (question < 0) throw new Error(`no planned question in ${conversation[0]!.content}`);
    const round = conversation.filter((m) => m.role === "assistant").length;
    let solver: number;
    if (round === 0) {
      solver = firstAsked.get(question) ?? 0;
      firstAsked.set(question, solver + 1);
    } else {
      const own = conversation.find((m) => m.role === "assistant")!.content;
      solver = Number(/^Solver (\d+),/.exec(own)![1]) - 1;
    }
    return { kind: "answer", question, round, solver };
  };
}

/** The fake server's script for `plan`. */
export function peerScript(plan: PeerPlan): Script {
  const read = peerReader(plan);
  return (req) => {
    const r = read(req);
    if (r.kind === "ack") return "ok";
    const value = plan.answers[r.question]?.[r.solver]?.[r.round];
    if (value === undefined) throw new Error(`no planned answer for ${JSON.stringify(r)}`);
    return scriptedAnswer(r.solver, r.round, value);
  };
}
