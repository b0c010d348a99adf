import type { ChatMessage, MindCallRequest, MindSpec } from "../../sim/core/minds.js";
import { ConfigError } from "../../sim/core/errors.js";
import type { AgentInfo } from "../../sim/core/events.js";
import type { Rng } from "../../sim/core/rng.js";
import { areAdjacent } from "../../sim/core/graph/index.js";
import { defineScenario, type StepContext, type StepDef } from "../../sim/core/scenario.js";
import { askUntilUsable } from "../../sim/toolkit/ask.js";
import { mean as meanOrNull } from "../../sim/toolkit/stats.js";
import { donorGameConfigSchema, type DonorGameConfig } from "./config.js";
import type { AdviceEntry } from "./advice.js";
import { evolve, strategyAdvice } from "./evolution.js";
import { givingMetrics, givingOf } from "./giving.js";
import { gini, mean } from "./metrics.js";
import {
  parseCooperation,
  parseDonation,
  parseStrategy,
  type AnswerOutcome,
  type ClassicAction,
  type DonorAction,
} from "./parse.js";
import { DONOR_POLICIES, type DonationState } from "./policies.js";
import {
  donationPrompt,
  formatUnits,
  reaskPrompt,
  strategyPrompt,
  strategyReaskPrompt,
  systemPrompt,
} from "./prompts.js";
import { COOPERATION_SCHEMA, donationSchema, STRATEGY_SCHEMA } from "./schemas.js";
import {
  alternatingSchedule,
  codeSchedule,
  graphSchedule,
  isolatedAgents,
  reversed,
  type Pairing,
} from "./schedule.js";
import {
  initialTraces,
  pythonStr,
  recordAction,
  recordNoTransfer,
  visibleTrace,
  type Traces,
} from "./trace.js";

export interface DonorAgent {
  id: string;
  /** The generation the agent was born into. */
  generation: number;
  /** The graph node the agent occupies. */
  slot: string;
  parents: string[];
  mind: MindSpec;
  /**
   * Null when the agent stated no usable strategy, even after the re-asks (see strategyUnusable).
   */
  strategy?: string | null;
  /** Why the strategy is null: the reason its last answer could not be used. */
  strategyUnusable?: string;
  reasoning?: string;
  /** A survivor asked to rewrite its strategy (survivorsRevise). */
  revise?: boolean;
  /**
   * Until its strategy is written: the parent a graph update rule drew, whose strategy its prompt
   * shows first (evolution.ts).
   */
  mentor?: AdviceEntry;
  /** Until its strategy is written: `learning: neighbours` found no one nearby (evolution.ts). */
  learnsGlobally?: boolean;
}

export interface DonorPopulation {
  agents: DonorAgent[];
  /**
   * The survivors' usable strategies and scores that newborns and revising survivors learn from.
   */
  advice: AdviceEntry[] | null;
}

interface Decision {
  /** The classic payoff's cooperations and defections are donations (fraction 1 or 0). */
  kind: Played["kind"];
  donor: string;
  fraction: number;
  /** No usable answer: a donation of 0 by the game's rules, but no data on what the model chose. */
  fallback: boolean;
}

interface GameState {
  game: number;
  resources: Map<string, number>;
  traces: Traces;
  schedule: Pairing[][];
  decisions: Decision[];
  /**
   * compat: released-code: the agents whose resources the released code's Python holds as a float
   * (touched by a move) and so prints as "8.0"; the others still hold the int endowment ("10").
   */
  floats: Set<string>;
}

interface DonorWork {
  /** This generation's shuffled order: the first half is A, the second B. */
  order: string[];
  agents: Map<string, DonorAgent>;
  games: GameState[];
  /** Unusable donation answers (each re-asked or, after the last attempt, a fallback). */
  parseFailures: number;
  fallbacks: number;
  strategyParseFailures: number;
  /** Agents left with no strategy this generation. */
  strategyFallbacks: number;
  pairsSkipped: number;
  /** Agents whose place has no neighbour. */
  isolated: number;
}

type Ctx = StepContext<DonorGameConfig>;

async function writeStrategy(
  agent: DonorAgent,
  population: DonorPopulation,
  work: DonorWork,
  ctx: Ctx,
): Promise<void> {
  const config = ctx.config;
  const { outcome, failures } = await askUntilUsable(
    ctx,
    {
      agentId: agent.id,
      mind: agent.mind,
      purpose: "strategy",
      messages: () => {
        const advice = strategyAdvice(agent, population, ctx);
        return [
          { role: "system", content: systemPrompt(config) },
          {
            role: "user",
            content: strategyPrompt(
              config,
              agent.id,
              advice?.shown ?? null,
              advice?.of,
              advice ? { mentor: advice.mentor, nearby: advice.nearby } : undefined,
            ),
          },
        ];
      },
      state: {},
      rng: ctx.rng("mind", agent.id, ctx.generation, "strategy"),
      t: { generation: ctx.generation },
      schema: STRATEGY_SCHEMA,
    },
    {
      retries: config.parseRetries,
      read: parseStrategy,
      reask: (reason) => strategyReaskPrompt(config, reason),
    },
  );
  work.strategyParseFailures += failures;
  if (!outcome.ok) work.strategyFallbacks++;
  const revised = agent.revise === true;
  const written = outcome.ok
    ? { strategy: outcome.strategy, reasoning: outcome.justification }
    : { strategy: null, reasoning: "", strategyUnusable: outcome.reason };
  delete agent.strategyUnusable;
  delete agent.mentor;
  delete agent.learnsGlobally;
  Object.assign(agent, written, { revise: false });
  if (revised) {
    ctx.emit({
      type: "interaction",
      t: { generation: ctx.generation },
      kind: "strategy-revised",
      from: agent.id,
      to: null,
      mind: ctx.mindInfo(agent.mind),
      data: written,
    });
  } else {
    const info: AgentInfo = {
      id: agent.id,
      generation: agent.generation,
      parents: agent.parents,
      mind: ctx.mindInfo(agent.mind),
      ...written,
      slot: agent.slot,
    };
    ctx.emit({ type: "agent-created", t: { generation: ctx.generation }, agent: info });
  }
}

/**
 * A donation: a policy's fast path, or the prompt (built only then), re-asks of unreadable answers
 * and the parser.
 */
function askDonation(
  ctx: Ctx,
  request: Omit<MindCallRequest, "messages"> & { t: { generation: number }; state: DonationState },
  strategy: string | null | undefined,
  recipientId: string,
  shown: Move["shown"],
) {
  const config = ctx.config;
  const { holdings, recipientHoldings, trace } = request.state;
  // Python prints holdings exactly, so the figure shown is the holdings.
  const shownHoldings = shown ? holdings : Number(formatUnits(holdings));
  const messages = (): ChatMessage[] => [
    { role: "system", content: systemPrompt(config) },
    {
      role: "user",
      content: donationPrompt(config, {
        name: request.agentId,
        strategy,
        generation: ctx.generation,
        round: request.t.round!,
        recipient: recipientId,
        recipientHoldings,
        holdings,
        trace,
        ...(shown ? { shown } : {}),
      }),
    },
  ];
  const classic = config.payoff === "classic";
  return askUntilUsable(
    ctx,
    {
      ...request,
      messages,
      schema: classic ? COOPERATION_SCHEMA : donationSchema(config.punishment, shownHoldings),
    },
    {
      retries: config.parseRetries,
      read: (text) =>
        classic
          ? parseCooperation(text)
          : parseDonation(text, {
              punishment: config.punishment,
              holdings,
              shownHoldings,
              outOfRange: config.outOfRange,
            }),
      reask: (reason) => reaskPrompt(config, reason, holdings),
    },
  );
}

/** A move of a round, ready to be decided: who gives to whom, with what the donor sees. */
interface Move {
  game: GameState;
  donor: DonorAgent;
  recipientId: string;
  t: { generation: number; game: number; round: number };
  state: DonationState;
  /** compat: released-code: the holdings as the released code prints them. */
  shown?: { holdings: string; recipientHoldings: string };
  request: {
    agentId: string;
    mind: MindSpec;
    purpose: string;
    state: DonationState;
    rng: Rng;
  };
}

/** The move of a pairing, or null when the pair is not adjacent (skipped, and counted). */
function prepareMove(
  ctx: Ctx,
  work: DonorWork,
  game: GameState,
  [donorId, recipientId]: Pairing,
  round: number,
): Move | null {
  const donor = work.agents.get(donorId)!;
  const recipient = work.agents.get(recipientId)!;
  if (!areAdjacent(ctx.graph, donor.slot, recipient.slot)) {
    work.pairsSkipped++;
    return null;
  }
  const state: DonationState = {
    holdings: game.resources.get(donorId)!,
    recipientHoldings: game.resources.get(recipientId)!,
    trace: visibleTrace(game.traces, recipientId),
    punishment: ctx.config.punishment,
    payoff: ctx.config.payoff,
  };
  const move: Move = {
    game,
    donor,
    recipientId,
    t: { generation: ctx.generation, game: game.game, round },
    state,
    request: {
      agentId: donorId,
      mind: donor.mind,
      purpose: "donation",
      state,
      rng: ctx.rng("mind", donorId, ctx.generation, game.game, round),
    },
  };
  // Set apart rather than spread into the literal: this runs for every move of a large run.
  if (ctx.config.compat === "released-code") move.shown = releasedHoldings(game, state, move);
  return move;
}

/** The holdings as the released code prints them: an int ("10") until a move makes it a float. */
function releasedHoldings(
  game: GameState,
  state: DonationState,
  { donor, recipientId }: Pick<Move, "donor" | "recipientId">,
): NonNullable<Move["shown"]> {
  const asPython = (id: string, value: number) =>
    pythonStr(value, game.floats.has(id) || !Number.isInteger(value));
  return {
    holdings: asPython(donor.id, state.holdings),
    recipientHoldings: asPython(recipientId, state.recipientHoldings),
  };
}

async function donate(
  ctx: Ctx,
  work: DonorWork,
  game: GameState,
  pairing: Pairing,
  round: number,
): Promise<Decision | null> {
  const move = prepareMove(ctx, work, game, pairing, round);
  if (!move) return null;
  const { outcome, failures } = await askDonation(
    ctx,
    { ...move.request, t: move.t },
    move.donor.strategy,
    move.recipientId,
    move.shown,
  );
  return applyMove(ctx, work, move, outcome, failures);
}

/** What an answer does: the classic payoff's answers are donations of the cost, or of nothing. */
interface Played {
  kind: "donate" | "punish" | "refuse";
  amount: number;
  /** Of the holdings (1 for a cooperation, 0 for a defection). */
  fraction: number;
  received: number;
}

function played(
  config: DonorGameConfig,
  action: DonorAction | ClassicAction,
  holdings: number,
): Played {
  switch (action.kind) {
    case "cooperate":
      return { kind: "donate", amount: config.cost, fraction: 1, received: config.benefit };
    case "defect":
      return { kind: "donate", amount: 0, fraction: 0, received: 0 };
    case "refuse":
      return { kind: "refuse", amount: 0, fraction: 0, received: 0 };
    default: {
      const amount = Math.min(Math.max(action.amount, 0), holdings);
      return {
        kind: action.kind,
        amount,
        fraction: holdings > 0 ? amount / holdings : 0,
        received: action.kind === "donate" ? config.multiplier * amount : 0,
      };
    }
  }
}

/** A fallback gives 0 (defects), as in the released code. */
const fallbackAction = (config: DonorGameConfig): DonorAction | ClassicAction =>
  config.payoff === "classic" ? { kind: "defect" } : { kind: "donate", amount: 0 };

/** Plays the donor's answer: resources, trace, the interaction event and the decision. */
function applyMove(
  ctx: Ctx,
  work: DonorWork,
  { game, donor, recipientId, t, state }: Move,
  outcome: AnswerOutcome,
  failures: number,
): Decision {
  const config = ctx.config;
  const donorId = donor.id;
  const { holdings, recipientHoldings: recipientBefore } = state;
  work.parseFailures += failures;
  // A fallback's decision is marked so no metric reads it as a choice.
  const fallback = !outcome.ok;
  if (fallback) work.fallbacks++;
  const justification = outcome.ok ? outcome.justification : "";
  // outOfRange: no-transfer: an amount outside [0, holdings] moves nothing and adds no trace entry.
  const noTransfer = outcome.ok && outcome.noTransfer === true;
  const action: Played = noTransfer
    ? { kind: "donate", amount: 0, fraction: 0, received: 0 }
    : played(config, outcome.ok ? outcome.action : fallbackAction(config), holdings);
  const { amount, fraction, received } = action;
  const released = config.compat === "released-code";
  if (noTransfer) {
    recordNoTransfer(game.traces, { round: t.round, donor: donorId, recipient: recipientId });
  } else {
    if (action.kind === "donate") {
      game.resources.set(donorId, holdings - amount);
      game.resources.set(recipientId, recipientBefore + received);
    } else if (action.kind === "punish") {
      game.resources.set(donorId, holdings - amount);
      game.resources.set(
        recipientId,
        Math.max(0, recipientBefore - config.punishmentLoss * amount),
      );
    }
    const taken = recipientBefore - game.resources.get(recipientId)!;
    if (released && action.kind !== "refuse") {
      game.floats.add(donorId);
      // Python's max(0, x) keeps the int 0 when x <= 0.
      if (action.kind === "donate" || game.resources.get(recipientId)! > 0)
        game.floats.add(recipientId);
      else game.floats.delete(recipientId);
    }
    const entry: Parameters<typeof recordAction>[1] = {
      kind: action.kind,
      round: t.round,
      donor: donorId,
      recipient: recipientId,
      amount,
      // The released code's trace reads 100 % for a donor holding 0 (it divides only when it can).
      fraction: action.kind === "donate" ? (released && holdings === 0 ? 1 : fraction) : null,
    };
    if (action.kind === "punish") entry.taken = Math.max(0, taken);
    recordAction(game.traces, entry);
  }
  const data: Record<string, unknown> = {
    amount,
    fraction: action.kind === "donate" ? fraction : 0,
    received,
    donorBefore: holdings,
    recipientBefore,
    donorAfter: game.resources.get(donorId)!,
    recipientAfter: game.resources.get(recipientId)!,
    justification,
    fallback,
  };
  // The amount the donor named, which moved nothing (outOfRange: no-transfer).
  if (noTransfer && outcome.ok && "amount" in outcome.action) {
    data.noTransfer = true;
    data.asked = outcome.action.amount;
  }
  ctx.emit({
    type: "interaction",
    t,
    kind:
      action.kind === "donate" ? "donation" : action.kind === "punish" ? "punishment" : "refusal",
    from: donorId,
    to: recipientId,
    mind: ctx.mindInfo(donor.mind),
    data,
  });
  return {
    kind: action.kind,
    donor: donorId,
    fraction: action.kind === "donate" ? fraction : 0,
    fallback,
  };
}

/** Decisions the model actually made (no fallbacks): what the decision metrics average over. */
const answered = (decisions: readonly Decision[]): Decision[] =>
  decisions.filter((d) => !d.fallback);

async function playRound(
  ctx: Ctx,
  work: DonorWork,
  games: GameState[],
  round: number,
): Promise<void> {
  const pairings = games.map((game) => game.schedule[round - 1]!);
  // Moves are the games' pairings one game after the other: move i belongs to game gameOf[i].
  const gameOf = pairings.flatMap((pairs, g) => pairs.map(() => g));
  const moves = pairings.flat();
  // Moves on a policy's fast path are played at once, in order, without a branch each (a round of
  // 10,000 agents is 5,000 moves); from the first move that needs a model on, the rest go through
  // `parallel` as before. A round's pairs share no agent, so either way every move sees the same
  // resources, and events come in move order.
  const results: (Decision | null)[] = [];
  let i = 0;
  for (; i < moves.length; i++) {
    const game = games[gameOf[i]!]!;
    const move = prepareMove(ctx, work, game, moves[i]!, round);
    if (!move) {
      results.push(null);
      continue;
    }
    const fast = ctx.act<AnswerOutcome>(move.request);
    if (!fast) break;
    results.push(applyMove(ctx, work, move, fast.value, 0));
  }
  if (i < moves.length) {
    const first = i;
    const rest = await ctx.parallel(moves.slice(first), (pairing, branch, j) =>
      donate(branch, work, games[gameOf[first + j]!]!, pairing, round),
    );
    for (const decision of rest) results.push(decision);
  }
  // Decisions are kept in schedule order, not in the order the calls completed, so that the
  // floating-point sums behind the metrics are the same in a run and in its replay.
  let start = 0;
  for (const [g, game] of games.entries()) {
    const end = start + pairings[g]!.length;
    const decisions = results.slice(start, end).filter((d): d is Decision => d !== null);
    start = end;
    // Not push(...decisions): a round of 100,000 agents would be 50,000 arguments.
    for (const d of decisions) game.decisions.push(d);
    const chosen = answered(decisions);
    ctx.emit({
      type: "metric",
      t: { generation: ctx.generation, game: game.game, round },
      scope: "round",
      values: {
        avgDonationFraction: meanOrNull(chosen.map((d) => d.fraction)),
        fallbackDecisions: decisions.length - chosen.length,
        avgResources: mean([...game.resources.values()]),
      },
    });
  }
}

export const donorGame = defineScenario<DonorGameConfig, DonorPopulation, DonorWork>({
  id: "donor-game",
  configKey: "donorGame",
  configSchema: donorGameConfigSchema,
  policies: DONOR_POLICIES,
  // Enough for "think very briefly" and an answer; a bound so a model that never stops costs
  // little.
  defaultMaxTokens: 512,
  unusableCounts: [
    "parseFailures",
    "fallbackDecisions",
    "strategyParseFailures",
    "strategyFallbacks",
  ],
  time: [
    { key: "game", label: "game" },
    { key: "round", label: "round" },
  ],
  interactions: {
    donation: "a donation to the recipient",
    punishment: "a costly punishment of the recipient",
    refusal: "a refusal to give",
    "strategy-revised": "an agent stated (or revised) its strategy",
  },

  check(config, section) {
    // The graph schedule matches agents along edges and needs no halves.
    if (section.schedule !== "graph" && config.population.size % 2 !== 0)
      throw new ConfigError(
        "population.size",
        config.population.size,
        "an even number (the Donor Game splits agents into two halves; schedule: graph does not)",
      );
    if (section.compat === "released-code" && section.payoff === "classic")
      throw new ConfigError(
        "donorGame.compat",
        section.compat,
        '"agora" with payoff: classic (the released code plays the resources game only)',
      );
    if (section.survivors === "random" && section.update.rule !== "truncation")
      throw new ConfigError(
        "donorGame.survivors",
        section.survivors,
        `"top" with update: ${section.update.rule} (random survivors replace truncation only)`,
      );
    if (section.payoff === "classic" && section.punishment !== "none")
      throw new ConfigError(
        "donorGame.punishment",
        section.punishment,
        '"none" with payoff: classic (punishment needs payoff: resources)',
      );
  },

  createPopulation(agents) {
    return {
      agents: agents.map((a) => ({
        id: a.id,
        generation: 1,
        slot: a.id,
        parents: [],
        mind: a.mind,
      })),
      advice: null,
    };
  },

  beginGeneration(population, ctx) {
    const config = ctx.config;
    const order = ctx.rng("pairing", ctx.generation).shuffle(population.agents.map((a) => a.id));
    const agents = new Map(population.agents.map((a) => [a.id, a]));
    const placed = order.map((id) => agents.get(id)!);
    const first =
      config.schedule === "graph"
        ? graphSchedule(ctx.graph, placed, config.rounds, (round) =>
            ctx.rng("pairing", ctx.generation, "round", round),
          )
        : config.schedule === "code"
          ? codeSchedule(order, config.rounds)
          : alternatingSchedule(order, config.rounds);
    // Classic payoffs start at 0.
    const start = config.payoff === "classic" ? 0 : config.endowment;
    const games: GameState[] = [first, reversed(first)]
      .slice(0, config.games)
      .map((schedule, i) => ({
        game: i + 1,
        resources: new Map(order.map((id) => [id, start])),
        traces: initialTraces(order, config.traceDepth),
        schedule,
        decisions: [],
        floats: new Set<string>(),
      }));
    const steps: StepDef[] = [];
    if (population.agents.some((a) => a.strategy === undefined || a.revise))
      steps.push({ name: "strategies", t: {} });
    for (const game of config.parallelGames ? [null] : games) {
      for (let round = 1; round <= config.rounds; round++)
        steps.push({ name: "round", t: game ? { game: game.game, round } : { round } });
    }
    return {
      work: {
        order,
        agents,
        games,
        parseFailures: 0,
        fallbacks: 0,
        strategyParseFailures: 0,
        strategyFallbacks: 0,
        pairsSkipped: 0,
        isolated: isolatedAgents(ctx.graph, placed).length,
      },
      steps,
    };
  },

  async runStep(population, work, step, ctx) {
    if (step.name === "strategies") {
      const pending = population.agents.filter((a) => a.strategy === undefined || a.revise);
      await ctx.parallel(pending, (agent, branch) =>
        writeStrategy(agent, population, work, branch),
      );
      return;
    }
    const games =
      step.t.game === undefined ? work.games : work.games.filter((g) => g.game === step.t.game);
    await playRound(ctx, work, games, step.t.round!);
  },

  endGeneration(population, work, ctx, last) {
    const config = ctx.config;
    const agents = work.agents;
    const finals = work.games.map((g) => g.resources);
    const scoreOf = (id: string): number => {
      const [g1, g2] = finals.map((r) => r.get(id)!);
      if (g2 === undefined) return g1!;
      return config.selection === "game2x2" ? 2 * g2 : (g1! + g2) / 2;
    };
    const scores = Object.fromEntries(work.order.map((id) => [id, scoreOf(id)]));
    const evolution = evolve(population, work, scores, ctx, last);
    const { ranking, survivors, removed, newborns } = evolution;
    const giving = givingOf(work.games.flatMap((g) => g.decisions));

    // Decision metrics read only what models chose; fallbackDecisions says how many they leave out.
    const decisions = answered(work.games.flatMap((g) => g.decisions));
    const share = (kind: Decision["kind"]) =>
      decisions.length === 0
        ? null
        : decisions.filter((d) => d.kind === kind).length / decisions.length;
    const gameAverages = finals.map((r) => mean([...r.values()]));
    const metrics = {
      avgFinalResources: mean(gameAverages),
      game1AvgResources: gameAverages[0] ?? null,
      game2AvgResources: gameAverages[1] ?? null,
      avgDonationFraction: meanOrNull(decisions.map((d) => d.fraction)),
      punishmentRate: share("punish"),
      refusalRate: share("refuse"),
      // Gini is defined for amounts of at least 0, and classic payoffs can fall below.
      giniFinalResources: Object.values(scores).some((s) => s < 0)
        ? null
        : gini(Object.values(scores)),
      parseFailures: work.parseFailures,
      fallbackDecisions: work.fallbacks,
      strategyParseFailures: work.strategyParseFailures,
      strategyFallbacks: work.strategyFallbacks,
      pairsSkipped: work.pairsSkipped,
      isolatedAgents: work.isolated,
      ...givingMetrics(ctx.graph, population.agents, giving),
      ...evolution.metrics,
    };

    const surviving = new Set(survivors);
    const agentRows = ranking.map((id, rank) => {
      const agent = agents.get(id)!;
      return {
        generation: ctx.generation,
        agentId: id,
        slot: agent.slot,
        born: agent.generation,
        mindKind: agent.mind.kind,
        mind: agent.mind.kind === "llm" ? agent.mind.profile : agent.mind.policy,
        params: agent.mind.kind === "policy" ? agent.mind.params : null,
        parents: agent.parents,
        strategy: agent.strategy ?? null,
        strategyUnusable: agent.strategyUnusable ?? null,
        game1: finals[0]!.get(id)!,
        game2: finals[1]?.get(id) ?? null,
        score: scores[id]!,
        rank: rank + 1,
        survived: last ? null : surviving.has(id),
        degree: ctx.graph.degree(agent.slot),
        giving: giving.get(id) ?? null,
      };
    });

    return {
      population: evolution.population,
      metrics,
      agentRows,
      survivors,
      removed,
      created: newborns.map((a) => a.id),
      scores,
    };
  },
});
