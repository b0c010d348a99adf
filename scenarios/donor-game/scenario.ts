import type { ChatMessage, MindCallRequest, MindSpec } from "../../sim/core/minds.js";
import { ConfigError } from "../../sim/core/errors.js";
import type { AgentInfo } from "../../sim/core/events.js";
import type { Rng } from "../../sim/core/rng.js";
import { areAdjacent } from "../../sim/core/graph/index.js";
import { defineScenario, type StepContext, type StepDef } from "../../sim/core/scenario.js";
import { askUntilUsable } from "../../sim/toolkit/ask.js";
import { donorGameConfigSchema, type DonorGameConfig } from "./config.js";
import type { AdviceEntry } from "./advice.js";
import { evolve, strategyAdvice } from "./evolution.js";
import { DecisionLog, emptyTally, givingOf, meanFraction, type DecisionKind } from "./decisions.js";
import { givingMetrics } from "./giving.js";
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
import { pythonStr, recordNoTransfer, Traces, type TraceAction, type TraceEntry } from "./trace.js";

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

/**
 * A game of the generation. Agents are known by their place in the generation's order (`placed`),
 * which indexes its arrays: every move reads and writes them, and a round of 10,000 agents makes
 * 5,000 moves in each game.
 */
interface GameState {
  game: number;
  resources: Float64Array;
  traces: Traces;
  schedule: Pairing<number>[][];
  decisions: DecisionLog;
  /**
   * compat: released-code: 1 for the agents whose resources the released code's Python holds as a
   * float (touched by a move) and so prints as "8.0"; the others still hold the int endowment
   * ("10").
   */
  floats: Uint8Array;
}

interface DonorWork {
  /** This generation's shuffled order: the first half is A, the second B. */
  order: string[];
  /** The agents in that order. */
  placed: DonorAgent[];
  /** Each agent's place in that order. */
  placeOf: Map<string, number>;
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

/**
 * What the donor sees. The recipient's trace is built when first read: of the shipped policies only
 * tit-for-tat and image scoring read it, and building it is a large part of a move.
 */
class DonationView implements DonationState {
  readonly punishment: DonorGameConfig["punishment"];
  readonly payoff: DonorGameConfig["payoff"];
  #trace: readonly TraceEntry[] | undefined;

  constructor(
    readonly holdings: number,
    readonly recipientHoldings: number,
    config: DonorGameConfig,
    private readonly traces: Traces,
    private readonly recipient: number,
  ) {
    this.punishment = config.punishment;
    this.payoff = config.payoff;
  }

  get trace(): readonly TraceEntry[] {
    return (this.#trace ??= this.traces.visible(this.recipient));
  }
}

/** A move of a round, ready to be decided: who gives to whom, with what the donor sees. */
interface Move {
  game: GameState;
  /** The decision's slot in the game's log. */
  slot: number;
  donor: DonorAgent;
  recipientId: string;
  /** Places in the order. */
  from: number;
  to: number;
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

/**
 * The move of round `round`'s pairing `j`, or null when the pair is not adjacent (skipped, and
 * counted).
 */
function prepareMove(
  ctx: Ctx,
  work: DonorWork,
  game: GameState,
  round: number,
  j: number,
): Move | null {
  const [from, to] = game.schedule[round - 1]![j]!;
  const donor = work.placed[from]!;
  // Two places of the complete graph are always adjacent: no lookups among 10,000 members.
  if (ctx.graph.kind !== "complete" && !areAdjacent(ctx.graph, donor.slot, work.placed[to]!.slot)) {
    work.pairsSkipped++;
    return null;
  }
  const donorId = donor.id;
  const state = new DonationView(
    game.resources[from]!,
    game.resources[to]!,
    ctx.config,
    game.traces,
    to,
  );
  const move: Move = {
    game,
    slot: game.decisions.slot(round, j),
    donor,
    recipientId: work.order[to]!,
    from,
    to,
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
  { from, to }: Pick<Move, "from" | "to">,
): NonNullable<Move["shown"]> {
  const asPython = (place: number, value: number) =>
    pythonStr(value, game.floats[place] === 1 || !Number.isInteger(value));
  return {
    holdings: asPython(from, state.holdings),
    recipientHoldings: asPython(to, state.recipientHoldings),
  };
}

async function donate(
  ctx: Ctx,
  work: DonorWork,
  game: GameState,
  round: number,
  j: number,
): Promise<void> {
  const move = prepareMove(ctx, work, game, round, j);
  if (!move) return;
  const { outcome, failures } = await askDonation(
    ctx,
    { ...move.request, t: move.t },
    move.donor.strategy,
    move.recipientId,
    move.shown,
  );
  applyMove(ctx, work, move, outcome, failures);
}

/** What an answer does: the classic payoff's answers are donations of the cost, or of nothing. */
interface Played {
  kind: DecisionKind;
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
  { game, slot, donor, recipientId, from, to, t, state }: Move,
  outcome: AnswerOutcome,
  failures: number,
): void {
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
  const resources = game.resources;
  if (noTransfer) {
    recordNoTransfer(game.traces, t.round, from, to);
  } else {
    if (action.kind === "donate") {
      resources[from] = holdings - amount;
      resources[to] = recipientBefore + received;
    } else if (action.kind === "punish") {
      resources[from] = holdings - amount;
      resources[to] = Math.max(0, recipientBefore - config.punishmentLoss * amount);
    }
    const taken = recipientBefore - resources[to]!;
    if (released && action.kind !== "refuse") {
      game.floats[from] = 1;
      // Python's max(0, x) keeps the int 0 when x <= 0.
      game.floats[to] = action.kind === "donate" || resources[to]! > 0 ? 1 : 0;
    }
    const entry: TraceAction = {
      kind: action.kind,
      round: t.round,
      amount,
      // The released code's trace reads 100 % for a donor holding 0 (it divides only when it can).
      fraction: action.kind === "donate" ? (released && holdings === 0 ? 1 : fraction) : null,
    };
    if (action.kind === "punish") entry.taken = Math.max(0, taken);
    game.traces.record(entry, from, to);
  }
  const data: Record<string, unknown> = {
    amount,
    fraction: action.kind === "donate" ? fraction : 0,
    received,
    donorBefore: holdings,
    recipientBefore,
    donorAfter: resources[from]!,
    recipientAfter: resources[to]!,
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
  game.decisions.record(slot, {
    kind: action.kind,
    donor: from,
    fraction: action.kind === "donate" ? fraction : 0,
    fallback,
  });
}

async function playRound(
  ctx: Ctx,
  work: DonorWork,
  games: GameState[],
  round: number,
): Promise<void> {
  // Moves on a policy's fast path are played at once, in order, without a branch each (a round of
  // 10,000 agents is 5,000 moves); from the first move that needs a model on, the rest go through
  // `parallel` as before. A round's pairs share no agent, so either way every move sees the same
  // resources, and events come in move order: the games' pairings one game after the other. Each
  // decision goes to its pairing's slot, whatever order the calls completed in.
  let g = 0;
  let j = 0;
  instant: for (; g < games.length; g++, j = 0) {
    const game = games[g]!;
    for (const pairs = game.schedule[round - 1]!.length; j < pairs; j++) {
      const move = prepareMove(ctx, work, game, round, j);
      if (!move) continue;
      const fast = ctx.act<AnswerOutcome>(move.request);
      if (!fast) break instant;
      applyMove(ctx, work, move, fast.value, 0);
    }
  }
  // The moves left from the first that needs a model: [game, pairing].
  const rest: [GameState, number][] = [];
  for (; g < games.length; g++, j = 0)
    for (const pairs = games[g]!.schedule[round - 1]!.length; j < pairs; j++)
      rest.push([games[g]!, j]);
  if (rest.length > 0)
    await ctx.parallel(rest, ([game, pairing], branch) =>
      donate(branch, work, game, round, pairing),
    );
  for (const game of games) {
    const tally = game.decisions.tally(emptyTally(), round);
    ctx.emit({
      type: "metric",
      t: { generation: ctx.generation, game: game.game, round },
      scope: "round",
      values: {
        avgDonationFraction: meanFraction(tally),
        fallbackDecisions: tally.fallbacks,
        avgResources: mean(game.resources),
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
    // Schedules pair places in the order.
    const places = order.map((_, i) => i);
    const placeOf = new Map(order.map((id, i) => [id, i]));
    const first =
      config.schedule === "graph"
        ? graphSchedule(ctx.graph, placed, config.rounds, (round) =>
            ctx.rng("pairing", ctx.generation, "round", round),
          ).map((pairs) =>
            pairs.map(([d, r]): Pairing<number> => [placeOf.get(d)!, placeOf.get(r)!]),
          )
        : config.schedule === "code"
          ? codeSchedule(places, config.rounds)
          : alternatingSchedule(places, config.rounds);
    // Classic payoffs start at 0.
    const start = config.payoff === "classic" ? 0 : config.endowment;
    const games: GameState[] = [first, reversed(first)]
      .slice(0, config.games)
      .map((schedule, i) => ({
        game: i + 1,
        resources: new Float64Array(order.length).fill(start),
        traces: new Traces(order, config.traceDepth, config.rounds),
        schedule,
        decisions: new DecisionLog(schedule.map((round) => round.length)),
        floats: new Uint8Array(order.length),
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
        placed,
        placeOf,
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
    const scoreOf = (place: number): number => {
      const [g1, g2] = finals.map((r) => r[place]!);
      if (g2 === undefined) return g1!;
      return config.selection === "game2x2" ? 2 * g2 : (g1! + g2) / 2;
    };
    const scores = Object.fromEntries(work.order.map((id, place) => [id, scoreOf(place)]));
    const evolution = evolve(population, work, scores, ctx, last);
    const { ranking, survivors, removed, newborns } = evolution;
    const logs = work.games.map((g) => g.decisions);
    const giving = givingOf(logs, work.order);

    // Decision metrics read only what models chose; fallbackDecisions says how many they leave out.
    const tally = emptyTally();
    for (const log of logs) log.tally(tally);
    const share = (count: number) => (tally.answered === 0 ? null : count / tally.answered);
    const gameAverages = finals.map((r) => mean(r));
    const metrics = {
      avgFinalResources: mean(gameAverages),
      game1AvgResources: gameAverages[0] ?? null,
      game2AvgResources: gameAverages[1] ?? null,
      avgDonationFraction: meanFraction(tally),
      punishmentRate: share(tally.punish),
      refusalRate: share(tally.refuse),
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
      const place = work.placeOf.get(id)!;
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
        game1: finals[0]![place]!,
        game2: finals[1]?.[place] ?? null,
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
