import pLimit from "p-limit";
import type { MindSpec } from "../../sim/core/minds.js";
import { defineScenario, type StepDef } from "../../sim/core/scenario.js";
import {
  checkDebateConfig,
  debateConfigSchema,
  type DebateConfig,
  type RoleMind,
} from "./config.js";
import { debaterAccuracy, nextPopulation, select, writeAdvice } from "./evolution.js";
import { madRound } from "./mad.js";
import {
  attitudeNow,
  finalValues,
  generationValues,
  roundValues,
  type TieRule,
  UNUSABLE_COUNTS,
} from "./metrics.js";
import { DEBATE_POLICIES } from "./policies.js";
import { loadQuestions, type Question } from "./questions.js";
import { societyRound } from "./society.js";
import { surveyRound } from "./survey.js";
import {
  type Ctx,
  type DebatePopulation,
  type DebateWork,
  type Debater,
  type QuestionRun,
  type RoleAgent,
  roleOf,
} from "./work.js";

const loaded = new WeakMap<DebateConfig, Question[]>();

/**
 * The config's questions (loaded once per run); generation g takes block g, wrapping around a short
 * set.
 */
function questionBlock(ctx: Ctx): Question[] {
  let all = loaded.get(ctx.config);
  if (!all) {
    all = loadQuestions(ctx.config.questions, { baseDir: ctx.baseDir, rng: ctx.rng("questions") });
    if (all.length === 0) throw new Error("debate.questions: the source holds no questions");
    loaded.set(ctx.config, all);
  }
  const k = ctx.config.questionsPerGeneration;
  return Array.from({ length: k }, (_, j) => all[((ctx.generation - 1) * k + j) % all.length]!);
}

/** An agent row's mind columns: kind, profile or policy name, policy parameters. */
const mindColumns = (mind: MindSpec) => ({
  mindKind: mind.kind,
  mind: mind.kind === "llm" ? mind.profile : mind.policy,
  params: mind.kind === "policy" ? mind.params : null,
});

const roleMindSpec = (mind: RoleMind): MindSpec =>
  "profile" in mind
    ? { kind: "llm", profile: mind.profile }
    : { kind: "policy", policy: mind.policy, params: mind.params };

/** The short text the viewer shows as an agent's strategy: label, persona, trait, advice. */
function strategyOf(d: Debater): string {
  const text = [d.label, d.persona, d.trait, d.advice]
    .filter((x) => x !== undefined && x !== "")
    .join(" | ");
  // A policy debater with nothing configured is described by its parameters.
  return text === "" && d.mind.kind === "policy"
    ? DEBATE_POLICIES[d.mind.policy]!.describe(d.mind.params)
    : text;
}

function announce(ctx: Ctx, population: DebatePopulation): void {
  for (const d of population.debaters.filter((x) => !x.announced)) {
    ctx.emit({
      type: "agent-created",
      t: { generation: ctx.generation },
      agent: {
        id: d.id,
        generation: d.generation,
        parents: d.parents,
        mind: ctx.mindInfo(d.mind),
        strategy: strategyOf(d),
        slot: d.slot,
        role: "debater",
      },
    });
    d.announced = true;
  }
  for (const r of population.roles.filter((x) => !x.announced)) {
    const strategy =
      r.mind.kind === "policy" ? DEBATE_POLICIES[r.mind.policy]!.describe(r.mind.params) : r.role;
    ctx.emit({
      type: "agent-created",
      t: { generation: ctx.generation },
      agent: {
        id: r.id,
        generation: ctx.generation,
        parents: [],
        mind: ctx.mindInfo(r.mind),
        strategy,
        slot: r.id,
        role: r.role,
      },
    });
    r.announced = true;
  }
}

/** Du et al.'s evaluation takes a tied vote's first answer (README, "Fidelity"). */
const tieRule = (config: DebateConfig): TieRule => (config.compat === "du" ? "first" : "none");

/** One round of one question: the setup's turns, the surveys, then the round's metric. */
async function playRound(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  const config = ctx.config;
  if (config.setup === "mad") await madRound(ctx, population, qr, round);
  else await societyRound(ctx, population, qr, round);
  if (config.survey) await surveyRound(ctx, population, qr, round);
  const played = qr.rounds.at(-1)!;
  ctx.emit({
    type: "metric",
    t: { generation: ctx.generation, question: qr.index, round },
    scope: "round",
    values: {
      ...roundValues(played.replies, qr.q.answers.length > 0, tieRule(config)),
      ...(config.survey ? { attitudeMean: attitudeNow(qr) } : {}),
      ...(qr.done ? finalValues(qr, roleOf(population, "judge") !== undefined) : {}),
    },
  });
}

export const debate = defineScenario<DebateConfig, DebatePopulation, DebateWork>({
  id: "debate",
  configKey: "debate",
  configSchema: debateConfigSchema,
  policies: DEBATE_POLICIES,
  // Room for step-by-step reasoning before the "Answer:" line; a cut answer is counted
  // (llmTruncated).
  defaultMaxTokens: 1024,
  unusableCounts: UNUSABLE_COUNTS,
  time: [
    { key: "question", label: "question" },
    { key: "round", label: "round" },
  ],
  interactions: {
    answer: "a debater's answer to the question",
    judge: "a judge's verdict on the debate",
    summary: "a summariser's summary of the round",
    survey: "an agent's survey answer (attitude)",
  },

  check: checkDebateConfig,

  createPopulation(agents, ctx) {
    const config = ctx.config;
    const roles: RoleAgent[] = [];
    for (const role of ["judge", "summariser"] as const) {
      const mind = config[role] as RoleMind | undefined;
      if (mind) roles.push({ id: role, role, mind: roleMindSpec(mind), announced: false });
    }
    const debaters = agents.map((a, i): Debater => ({
      id: a.id,
      generation: 1,
      slot: a.id,
      parents: [],
      mind: a.mind,
      announced: false,
      ...config.agents[i],
    }));
    return { debaters, roles, survivors: null };
  },

  beginGeneration(population, ctx) {
    const config = ctx.config;
    const questions: QuestionRun[] = questionBlock(ctx).map((q, index) => ({
      index,
      q,
      rounds: [],
      latest: new Map(),
      verdicts: [],
      conversations: new Map(),
      attitudes: new Map(),
      summariesUnusable: 0,
      candidatesUnusable: 0,
      done: false,
    }));
    const first = config.setup === "mad" ? 1 : 0;
    const steps: StepDef[] = [];
    if (population.debaters.some((d) => !d.announced) || population.roles.some((r) => !r.announced))
      steps.push({ name: "agents", t: {} });
    // One step per round, over every question of the generation: each question's round waits only
    // on its own previous round, so the generation takes its rounds' worth of latencies, not that
    // times the number of questions.
    for (let round = first; round <= config.rounds; round++)
      steps.push({ name: "round", t: { round } });
    return { work: { questions, adviceUnusable: 0 }, steps };
  },

  async runStep(population, work, step, ctx) {
    const config = ctx.config;
    if (step.name === "agents") {
      if (config.evolution.enabled) {
        const pending = population.debaters.filter((d) => d.advice === undefined);
        const usable = await ctx.parallel(pending, (d, branch) =>
          writeAdvice(branch, population, d),
        );
        work.adviceUnusable += usable.filter((ok) => !ok).length;
      }
      announce(ctx, population);
      return;
    }
    const open = work.questions.filter((qr) => !qr.done);
    if (open.length === 0) return;
    // Events keep question order whatever the cap, so it changes the pace only, never the run.
    const slot = pLimit(config.parallelQuestions ?? open.length);
    await ctx.parallel(open, (qr, branch) =>
      slot(() => playRound(branch, population, qr, step.t.round!)),
    );
  },

  endGeneration(population, work, ctx, last) {
    const config = ctx.config;
    const selection = select(ctx, population, work.questions, last);
    const metrics = generationValues(work.questions, {
      hasJudge: roleOf(population, "judge") !== undefined,
      mad: config.setup === "mad",
      survey: config.survey,
      spend: ctx.spend(),
      unusable: { advice: work.adviceUnusable },
      ties: tieRule(config),
      ...(config.compat === "machinesom" ? { machinesomPatterns: config.patterns } : {}),
    });
    const scores = Object.fromEntries(
      population.debaters.map((d) => [d.id, debaterAccuracy(work.questions, d.id).accuracy ?? 0]),
    );
    const debaterRows = selection.ranking.map((id, rank) => {
      const d = population.debaters.find((x) => x.id === id)!;
      const own = debaterAccuracy(work.questions, id);
      return {
        generation: ctx.generation,
        agentId: id,
        role: "debater",
        slot: d.slot,
        born: d.generation,
        ...mindColumns(d.mind),
        parents: d.parents,
        label: d.label ?? null,
        persona: d.persona ?? null,
        trait: d.trait ?? null,
        advice: d.advice ?? null,
        scored: own.scored,
        correct: own.correct,
        unreadable: own.unreadable,
        accuracy: own.accuracy,
        rank: rank + 1,
        survived: config.evolution.enabled && !last ? selection.survivors.includes(id) : null,
      };
    });
    const roleRows = population.roles.map((r) => ({
      generation: ctx.generation,
      agentId: r.id,
      role: r.role,
      slot: r.id,
      ...mindColumns(r.mind),
    }));
    return {
      population:
        config.evolution.enabled && !last
          ? nextPopulation(population, work.questions, selection)
          : population,
      metrics: { ...metrics, ...selection.metrics },
      agentRows: [...debaterRows, ...roleRows],
      survivors: selection.survivors,
      removed: selection.removed,
      created: selection.newcomers.map((d) => d.id),
      scores,
    };
  },
});
