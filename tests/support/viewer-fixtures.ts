/**
 * Event logs written from the debate and transmission event contracts (/tmp plan, scenario
 * READMEs), for the viewer's unit and end-to-end tests: a small MAD-like debate with a judge, a
 * summariser and a persona topic with private surveys; a transmission network run; a transmission
 * chain run. `writeRunDir` turns one into a recorded run directory the server lists.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  EVENT_VERSION,
  type AgoraEvent,
  type EventInput,
  type MindInfo,
  type TimeCoords,
} from "../../sim/core/events.js";
import { agentId } from "../../sim/core/ids.js";

const AT = "2026-01-01T00:00:00.000Z";
const POLICY: MindInfo = { kind: "policy", name: "solver", params: { p: 0.6 } };

class Log {
  readonly events: AgoraEvent[] = [];
  push(e: EventInput): void {
    this.events.push({ ...e, v: EVENT_VERSION, seq: this.events.length, at: AT } as AgoraEvent);
  }
  interaction(
    t: TimeCoords,
    kind: string,
    from: string,
    to: string | null,
    data: Record<string, unknown>,
    mind: MindInfo = POLICY,
  ): void {
    this.push({ type: "interaction", t, kind, from, to, mind, data });
  }
}

const complete = (ids: string[]) => ({
  options: { type: "undirected" },
  nodes: ids.map((key) => ({ key })),
  edges: ids.flatMap((a, i) =>
    ids.slice(i + 1).map((b) => ({ source: a, target: b, undirected: true })),
  ),
});

export const DEBATERS = ["g1-a1", "g1-a2", "g1-a3"];

/**
 * Generation 1, question 0 (arithmetic, accepted answer "42"): round 0 independent answers
 * (right, wrong, unreadable), round 1 with summaries and an undecided judge, round 2 where all are
 * right and the final judge decides. Question 1 (a topic, no key): answers "for"/"against" with a
 * private survey per debater and round. Round and generation metrics as the contract lists.
 */
export function debateEvents(): AgoraEvent[] {
  const log = new Log();
  log.push({
    type: "run-started",
    t: { generation: 1 },
    runId: "debate-fixture",
    scenario: "debate",
    seed: 1,
    configHash: "h",
    config: { debate: { setup: "mad" } },
    graph: complete(DEBATERS),
    graphStats: { nodes: 3 },
    agoraVersion: "0",
    time: [
      { key: "question", label: "question" },
      { key: "round", label: "round" },
    ],
    interactions: { answer: "answer", judge: "verdict", summary: "summary", survey: "survey" },
  });
  const personas = [
    "a careful mathematician",
    "an overconfident guesser",
    "an easy-going generalist",
  ];
  DEBATERS.forEach((id, i) =>
    log.push({
      type: "agent-created",
      t: { generation: 1 },
      agent: {
        id,
        generation: 1,
        parents: [],
        mind: POLICY,
        slot: id,
        role: "debater",
        strategy: personas[i]!,
      },
    }),
  );
  for (const id of ["judge", "summariser"]) {
    log.push({
      type: "agent-created",
      t: { generation: 1 },
      agent: {
        id,
        generation: 1,
        parents: [],
        mind: { kind: "policy", name: `${id}-policy` },
        slot: id,
        role: id === "judge" ? "judge" : "summariser",
      },
    });
  }
  const q0 = {
    questionId: "q-apples",
    questionText:
      "A farmer has 17 sheep and all but 9 run away; then 33 arrive. How many sheep are there?",
    accepted: ["42"],
  };
  const answer = (
    round: number,
    from: string,
    value: string | null,
    correct: boolean | null,
    side: string,
    others: string[],
    q = q0,
  ) =>
    log.interaction({ generation: 1, question: q === q0 ? 0 : 1, round }, "answer", from, null, {
      ...q,
      round,
      pattern: round === 0 ? "initial" : "debate",
      side,
      answer: value,
      correct,
      text: `${from} says ${value ?? "it is unclear"} in round ${round}. ${"Because the arithmetic works out that way. ".repeat(round === 2 && from === "g1-a1" ? 20 : 1)}`,
      sawFrom: others,
    });
  const roundMetric = (question: number, round: number, values: Record<string, number | null>) =>
    log.push({ type: "metric", t: { generation: 1, question, round }, scope: "round", values });

  answer(0, "g1-a1", "42", true, "affirmative", []);
  answer(0, "g1-a2", "41", false, "negative", []);
  // Unreadable: the scenario scores a keyed question's unreadable answer false (the metrics count
  // it wrong).
  answer(0, "g1-a3", null, false, "negative", []);
  roundMetric(0, 0, {
    accuracy: 1 / 3,
    agreement: 1 / 3,
    distinctAnswers: 2,
    majorityCorrect: 0,
    tie: 1,
  });
  for (const id of DEBATERS)
    log.interaction({ generation: 1, question: 0, round: 1 }, "summary", "summariser", id, {
      questionId: q0.questionId,
      round: 1,
      text: `Summary for ${id}: one says 42, one says 41.`,
      of: DEBATERS.filter((x) => x !== id),
    });
  answer(1, "g1-a1", "42", true, "affirmative", ["g1-a2", "g1-a3"]);
  answer(1, "g1-a2", "42", true, "negative", ["g1-a1", "g1-a3"]);
  answer(1, "g1-a3", "41", false, "negative", ["g1-a1", "g1-a2"]);
  log.interaction({ generation: 1, question: 0, round: 1 }, "judge", "judge", null, {
    questionId: q0.questionId,
    round: 1,
    final: false,
    decided: false,
    side: null,
    answer: null,
    correct: null,
    text: "Not yet convinced either way.",
  });
  roundMetric(0, 1, {
    accuracy: 2 / 3,
    agreement: 2 / 3,
    distinctAnswers: 2,
    majorityCorrect: 1,
    tie: 0,
  });
  answer(2, "g1-a1", "42", true, "affirmative", ["g1-a2", "g1-a3"]);
  answer(2, "g1-a2", "42", true, "negative", ["g1-a1", "g1-a3"]);
  answer(2, "g1-a3", "42", true, "negative", ["g1-a1", "g1-a2"]);
  log.interaction({ generation: 1, question: 0, round: 2 }, "judge", "judge", null, {
    questionId: q0.questionId,
    round: 2,
    final: true,
    decided: true,
    side: "affirmative",
    answer: "42",
    correct: true,
    text: "The affirmative side is right: 42.",
  });
  roundMetric(0, 2, {
    accuracy: 1,
    agreement: 1,
    distinctAnswers: 1,
    majorityCorrect: 1,
    tie: 0,
    final: 1,
    roundsUsed: 2,
    judgeCorrect: 1,
  });

  // Question 1: a persona debate on a topic, with private surveys.
  const q1 = {
    questionId: "topic-cars",
    questionText: "Should cities ban private cars from their centres?",
    accepted: [],
  };
  const attitudes: Record<string, number[]> = {
    "g1-a1": [7, 6, 5],
    "g1-a2": [2, 3, 5],
    "g1-a3": [5, 5, 5],
  };
  for (let round = 0; round <= 2; round++) {
    for (const id of DEBATERS) {
      const a = attitudes[id]![round]!;
      answer(
        round,
        id,
        a >= 5 ? "for" : "against",
        null,
        "",
        round === 0 ? [] : DEBATERS.filter((x) => x !== id),
        q1,
      );
      log.interaction({ generation: 1, question: 1, round }, "survey", id, null, {
        questionId: q1.questionId,
        topic: q1.questionText,
        round,
        attitude: a,
        text: `Privately: ${a}/10.`,
      });
    }
    roundMetric(1, round, {
      accuracy: null,
      agreement: round === 2 ? 1 : 2 / 3,
      distinctAnswers: round === 2 ? 1 : 2,
      majorityCorrect: null,
      tie: 0,
      attitudeMean:
        (attitudes["g1-a1"]![round]! + attitudes["g1-a2"]![round]! + attitudes["g1-a3"]![round]!) /
        3,
      ...(round === 2 ? { final: 1, roundsUsed: 2, judgeCorrect: null } : {}),
    });
  }
  log.push({
    type: "metric",
    t: { generation: 1 },
    scope: "generation",
    values: {
      accuracy: 1,
      majorityAccuracy: 1,
      judgeAccuracy: 1,
      baselineAccuracy: 0.5,
      gainOverBaseline: 0.5,
      agreement: 1,
      distinctAnswers: 1,
      conformity: 0.5,
      rightToWrong: 0,
      wrongToRight: 2,
      roundsUsed: 2,
      judgeAffirmativeShare: 1,
      attitudeMean: 5,
      attitudeDrift: 0.67,
      tokensPerQuestion: null,
      costPerQuestion: null,
    },
  });
  log.push({
    type: "generation-ended",
    t: { generation: 1 },
    survivors: DEBATERS,
    removed: [],
    created: [],
    scores: { "g1-a1": 1, "g1-a2": 0.5, "g1-a3": 0.5 },
  });
  log.push({ type: "run-ended", t: { generation: 1 }, status: "completed" });
  return log.events;
}

const WORDS =
  "the fox crossed a river at dawn and found a lantern glowing under old willow roots near quiet water".split(
    " ",
  );

/**
 * A deterministic text: a rotation of WORDS, with `drift` words replaced by the generation number.
 */
function text(seed: number, generation: number, length = 18): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(WORDS[(seed + i) % WORDS.length]!);
  for (let g = 1; g < generation; g++) out[(seed * 3 + g * 5) % length] = `gen${g}`;
  return `${out.join(" ")}.`;
}

/**
 * Mean similarity stand-in for the heatmap: 1 on the diagonal, falling with generation distance.
 */
const simBetween = (g: number, k: number): number =>
  g === k ? 0.9 : Math.max(0, Math.round((0.8 - 0.15 * Math.abs(g - k)) * 100) / 100);

export const TX_AGENTS = ["g1-a1", "g1-a2", "g1-a3", "g1-a4", "g1-a5", "g1-a6"];

/**
 * Network mode: six agents on a cycle, four generations. Each agent's parent is its left neighbour
 * on the cycle, with similarity 0.5 + agent index / 20. Generation metrics include
 * similarityToGen1..g.
 */
export function transmissionNetworkEvents(generations = 4): AgoraEvent[] {
  const log = new Log();
  const n = TX_AGENTS.length;
  const graph = {
    options: { type: "directed" },
    nodes: TX_AGENTS.map((key) => ({ key })),
    edges: TX_AGENTS.map((a, i) => ({ source: TX_AGENTS[(i + n - 1) % n]!, target: a })),
  };
  log.push({
    type: "run-started",
    t: { generation: 1 },
    runId: "tx-network",
    scenario: "transmission",
    seed: 1,
    configHash: "h",
    config: { transmission: { mode: "network" } },
    graph,
    graphStats: { nodes: n },
    agoraVersion: "0",
    time: [{ key: "chain", label: "chain" }],
    interactions: { text: "text", lineage: "lineage" },
  });
  TX_AGENTS.forEach((id, i) =>
    log.push({
      type: "agent-created",
      t: { generation: 1 },
      agent: {
        id,
        generation: 1,
        parents: [],
        mind: { kind: "policy", name: "text-operator" },
        slot: id,
        strategy: i % 2 === 0 ? "creative" : "not creative",
      },
    }),
  );
  for (let g = 1; g <= generations; g++) {
    TX_AGENTS.forEach((id, i) => {
      const left = TX_AGENTS[(i + n - 1) % n]!;
      log.interaction(
        { generation: g },
        "text",
        id,
        null,
        {
          text: text(i, g),
          transformation: g === 1 ? "initial" : "rephrase",
          persona: i % 2 === 0 ? "creative" : "not creative",
          inputs: g === 1 ? [] : [left],
        },
        { kind: "policy", name: "text-operator" },
      );
    });
    if (g > 1)
      TX_AGENTS.forEach((id, i) =>
        log.interaction(
          { generation: g },
          "lineage",
          id,
          TX_AGENTS[(i + n - 1) % n]!,
          { similarity: 0.5 + i / 20, parentGeneration: g - 1 },
          { kind: "policy", name: "text-operator" },
        ),
      );
    const values: Record<string, number | null> = {
      similarityWithin: 0.3 + 0.1 * g,
      similarityWithinSelf: 0.4 + 0.1 * g,
      similarityPrevious: g === 1 ? null : 0.6,
      similarityFirst: g === 1 ? null : 0.8 - 0.1 * g,
      diversity: 0.7 - 0.1 * g,
      clusters: 6 - g,
      positivity: 0.1 * g,
      fog: 8 + g,
      chars: 100 + g,
      words: 18,
      cumulativeChange: 0.1 * (g - 1),
    };
    for (let k = 1; k <= g; k++) values[`similarityToGen${k}`] = simBetween(g, k);
    log.push({ type: "metric", t: { generation: g }, scope: "generation", values });
    log.push({
      type: "generation-ended",
      t: { generation: g },
      survivors: TX_AGENTS,
      removed: [],
      created: [],
      scores: {},
    });
  }
  log.push({ type: "run-ended", t: { generation: generations }, status: "completed" });
  return log.events;
}

/**
 * Chain mode: `chains` independent chains of `generations` steps; the step of chain c in
 * generation g is agent `agentId(g, c + 1)` (chain 1 in generation 4: g4-a2), in its chain's
 * slot, and sees only its predecessor.
 */
export function transmissionChainEvents(chains = 3, generations = 5): AgoraEvent[] {
  const log = new Log();
  const heads = Array.from({ length: chains }, (_, c) => agentId(1, c + 1));
  log.push({
    type: "run-started",
    t: { generation: 1 },
    runId: "tx-chains",
    scenario: "transmission",
    seed: 1,
    configHash: "h",
    config: { transmission: { mode: "chain" } },
    graph: { nodes: heads.map((key) => ({ key })), edges: [] },
    graphStats: { nodes: chains },
    agoraVersion: "0",
    time: [{ key: "chain", label: "chain" }],
    interactions: { text: "text", lineage: "lineage" },
  });
  for (let g = 1; g <= generations; g++) {
    for (let c = 0; c < chains; c++) {
      const id = agentId(g, c + 1);
      const prev = agentId(g - 1, c + 1);
      log.push({
        type: "agent-created",
        t: { generation: g, chain: c },
        agent: {
          id,
          generation: g,
          parents: g === 1 ? [] : [prev],
          mind: { kind: "policy", name: "text-operator" },
          slot: heads[c]!,
          strategy: "neutral",
        },
      });
      log.interaction(
        { generation: g, chain: c },
        "text",
        id,
        null,
        {
          text: text(c * 4, g),
          transformation: "repeat",
          persona: null,
          inputs: g === 1 ? [] : [prev],
          chain: c,
        },
        { kind: "policy", name: "text-operator" },
      );
      if (g > 1)
        log.interaction(
          { generation: g, chain: c },
          "lineage",
          id,
          prev,
          { similarity: 0.9, parentGeneration: g - 1 },
          { kind: "policy", name: "text-operator" },
        );
    }
    const values: Record<string, number | null> = {
      similarityWithin: 0.2,
      similarityPrevious: g === 1 ? null : 0.9,
      words: 18,
      chars: 100,
    };
    for (let k = 1; k <= g; k++) values[`similarityToGen${k}`] = simBetween(g, k);
    log.push({ type: "metric", t: { generation: g }, scope: "generation", values });
    log.push({
      type: "generation-ended",
      t: { generation: g },
      survivors: [],
      removed: [],
      created: [],
      scores: {},
    });
  }
  log.push({ type: "run-ended", t: { generation: generations }, status: "completed" });
  return log.events;
}

/** Writes events as a recorded run directory (manifest.json and events.jsonl) the server lists. */
export function writeRunDir(dir: string, events: readonly AgoraEvent[]): void {
  mkdirSync(dir, { recursive: true });
  const started = events.find((e) => e.type === "run-started");
  const ended = events.findLast((e) => e.type === "run-ended");
  const generations = events.filter((e) => e.type === "generation-ended").length;
  writeFileSync(join(dir, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const manifest = {
    runId: started && started.type === "run-started" ? started.runId : "fixture",
    scenario: started && started.type === "run-started" ? started.scenario : "unknown",
    status: ended && ended.type === "run-ended" ? ended.status : "interrupted",
    seed: 1,
    configHash: "h",
    config: {},
    startedAt: AT,
    endedAt: AT,
    generationsCompleted: generations,
    minds: [
      {
        kind: "policy",
        name: "fixture",
        count: 0,
        note: "event fixture written from the contract, not a run",
      },
    ],
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}
