import {
  askUntilUsable,
  defineScenario,
  gini,
  mean,
  pearson,
  select,
  selectionRule,
  type AgentInfo,
  type StepContext,
  type StepDef,
} from "../../sim/index.js";
import { parseContribution } from "./answers.js";
import { publicGoodsConfigSchema, type PublicGoodsConfig } from "./config.js";
import { reproduce, type PublicGoodsAgent } from "./evolution.js";
import { neighbourhoods, playRound } from "./game.js";
import { PUBLIC_GOODS_POLICIES, type ContributionState } from "./policies.js";
import { contributionPrompt, contributionSchema, reaskPrompt, systemPrompt } from "./prompts.js";

/** What a checkpoint saves between generations (JSON). */
export interface PublicGoodsPopulation {
  /** One agent per graph node, in the first generation's order. */
  agents: PublicGoodsAgent[];
}

/** One agent's decision in one round. */
interface Decision {
  agentId: string;
  amount: number;
  fraction: number;
  justification: string;
  /** No usable answer: the game counts a contribution of 0, but no metric reads it as a choice. */
  fallback: boolean;
}

/** A generation's scratch state (not saved). */
interface PublicGoodsWork {
  agents: Map<string, PublicGoodsAgent>;
  /** Population order: sums and events follow it. */
  order: string[];
  neighbours: Map<string, string[]>;
  scores: Map<string, number>;
  /** Last round's contributions and payoffs (null before round 1). */
  previous: { contributions: Map<string, number>; payoffs: Map<string, number> } | null;
  decisions: Decision[];
  roundPayoffs: number[];
  parseFailures: number;
  fallbacks: number;
}

type Ctx = StepContext<PublicGoodsConfig>;

/**
 * Asks for a contribution until the answer reads (the toolkit's askUntilUsable: re-asks with the
 * reason, parse-failure events, no re-ask after a context overflow); a fallback contributes 0.
 */
async function askContribution(
  ctx: Ctx,
  agent: PublicGoodsAgent,
  work: PublicGoodsWork,
  round: number,
): Promise<Decision> {
  const config = ctx.config;
  const t = { generation: ctx.generation, round };
  const neighbours = work.neighbours.get(agent.id)!;
  const previous = work.previous;
  const state: ContributionState = {
    endowment: config.endowment,
    round,
    neighbours: neighbours.length,
    previous: previous && {
      own: previous.contributions.get(agent.id)!,
      neighbours: neighbours.map((id) => previous.contributions.get(id)!),
    },
  };
  const { outcome, failures } = await askUntilUsable(
    ctx,
    {
      agentId: agent.id,
      mind: agent.mind,
      purpose: "contribution",
      // Built only on the text path: a policy's fast path reads `state`.
      messages: () => [
        { role: "system", content: systemPrompt(config, work.order.length) },
        {
          role: "user",
          content: contributionPrompt(config, {
            name: agent.id,
            generation: ctx.generation,
            round,
            neighbours,
            advice: agent.advice,
            previous: state.previous && {
              ...state.previous,
              payoff: previous!.payoffs.get(agent.id)!,
            },
          }),
        },
      ],
      state,
      t,
      schema: contributionSchema(config),
      rng: ctx.rng("mind", agent.id, ctx.generation, round),
    },
    {
      retries: config.parseRetries,
      read: (text) => parseContribution(text, config),
      reask: (reason) => reaskPrompt(config, reason),
    },
  );
  work.parseFailures += failures;
  if (!outcome.ok) {
    work.fallbacks++;
    return { agentId: agent.id, amount: 0, fraction: 0, justification: "", fallback: true };
  }
  return {
    agentId: agent.id,
    amount: outcome.amount,
    fraction: outcome.amount / config.endowment,
    justification: outcome.justification,
    fallback: false,
  };
}

async function round(
  population: PublicGoodsPopulation,
  work: PublicGoodsWork,
  n: number,
  ctx: Ctx,
): Promise<void> {
  const config = ctx.config;
  // Everyone decides at once, from last round's state; events keep population order.
  const decisions = await ctx.parallel(population.agents, (agent, branch) =>
    askContribution(branch, agent, work, n),
  );
  const contributions = new Map(decisions.map((d) => [d.agentId, d.amount]));
  const { pots, received, payoffs } = playRound(
    work.neighbours,
    contributions,
    config.endowment,
    config.multiplier,
  );
  const t = { generation: ctx.generation, round: n };
  for (const d of decisions) {
    const agent = work.agents.get(d.agentId)!;
    const groups = work.neighbours.get(d.agentId)!.length + 1;
    work.scores.set(d.agentId, work.scores.get(d.agentId)! + payoffs.get(d.agentId)!);
    ctx.emit({
      type: "interaction",
      t,
      kind: "contribution",
      from: d.agentId,
      to: null,
      mind: ctx.mindInfo(agent.mind),
      data: {
        amount: d.amount,
        fraction: d.fraction,
        groups,
        /** Paid into each of the agent's groups. */
        share: d.amount / groups,
        /**
         * The pot of the agent's own group, before multiplication, and what each member gets of it.
         */
        pot: pots.get(d.agentId)!,
        groupPayoff: (config.multiplier * pots.get(d.agentId)!) / groups,
        received: received.get(d.agentId)!,
        payoff: payoffs.get(d.agentId)!,
        justification: d.justification,
        fallback: d.fallback,
      },
    });
  }
  work.decisions.push(...decisions);
  const roundPayoffs = decisions.map((d) => payoffs.get(d.agentId)!);
  work.roundPayoffs.push(...roundPayoffs);
  const answered = decisions.filter((d) => !d.fallback);
  ctx.emit({
    type: "metric",
    t,
    scope: "round",
    values: {
      meanContributionFraction: mean(answered.map((d) => d.fraction)),
      fallbackDecisions: decisions.length - answered.length,
      meanPayoff: mean(roundPayoffs),
    },
  });
  work.previous = { contributions, payoffs };
}

export const publicGoods = defineScenario<
  PublicGoodsConfig,
  PublicGoodsPopulation,
  PublicGoodsWork
>({
  id: "public-goods",
  configKey: "publicGoods",
  configSchema: publicGoodsConfigSchema,
  policies: PUBLIC_GOODS_POLICIES,
  // "Think briefly" and a one-number answer; a bound so a model that never stops costs little.
  defaultMaxTokens: 512,
  unusableCounts: ["parseFailures", "fallbackDecisions"],
  time: [{ key: "round", label: "round" }],
  interactions: { contribution: "a contribution to the public pot" },

  createPopulation(agents) {
    return {
      agents: agents.map((a) => ({
        id: a.id,
        generation: 1,
        slot: a.id,
        parents: [],
        mind: a.mind,
        advice: null,
      })),
    };
  },

  beginGeneration(population, ctx) {
    const agents = new Map(population.agents.map((a) => [a.id, a]));
    const order = population.agents.map((a) => a.id);
    const steps: StepDef[] = [];
    if (population.agents.some((a) => a.generation === ctx.generation))
      steps.push({ name: "births", t: {} });
    for (let n = 1; n <= ctx.config.rounds; n++) steps.push({ name: "round", t: { round: n } });
    const work: PublicGoodsWork = {
      agents,
      order,
      neighbours: neighbourhoods(ctx.graph, population.agents),
      scores: new Map(order.map((id) => [id, 0])),
      previous: null,
      decisions: [],
      roundPayoffs: [],
      parseFailures: 0,
      fallbacks: 0,
    };
    return { work, steps };
  },

  async runStep(population, work, step, ctx) {
    if (step.name === "births") {
      // Agents born into this generation (all of generation 1, then the newborns) are announced.
      for (const agent of population.agents.filter((a) => a.generation === ctx.generation)) {
        const policy =
          agent.mind.kind === "policy" ? PUBLIC_GOODS_POLICIES[agent.mind.policy] : undefined;
        const info: AgentInfo = {
          id: agent.id,
          generation: agent.generation,
          parents: agent.parents,
          mind: ctx.mindInfo(agent.mind),
          slot: agent.slot,
          ...(policy && agent.mind.kind === "policy"
            ? { strategy: policy.describe(agent.mind.params) }
            : {}),
        };
        ctx.emit({ type: "agent-created", t: { generation: ctx.generation }, agent: info });
      }
      return;
    }
    await round(population, work, step.t.round!, ctx);
  },

  endGeneration(population, work, ctx, last) {
    const config = ctx.config;
    const answered = work.decisions.filter((d) => !d.fallback);
    // Each agent's answered fractions (in round order) and fallbacks, in one pass over the
    // decisions rather than one per agent.
    const answeredBy = new Map<string, number[]>(work.order.map((id) => [id, []]));
    const fallbacksBy = new Map<string, number>();
    for (const d of work.decisions) {
      if (d.fallback) fallbacksBy.set(d.agentId, (fallbacksBy.get(d.agentId) ?? 0) + 1);
      else answeredBy.get(d.agentId)!.push(d.fraction);
    }
    const fractions = new Map(work.order.map((id) => [id, mean(answeredBy.get(id)!)]));
    // The configured rule by score (the last generation only ranks: truncation, no draws); ties
    // fall to the generation's own random order, never to the population's. Graph rules compete
    // over the game's groups: neighbours either way round.
    const selection = select(
      last
        ? { kind: "truncation", survivorFraction: config.survivorFraction }
        : selectionRule(config.update, config.survivorFraction),
      {
        order: ctx.rng("ties", ctx.generation).shuffle(work.order),
        score: (id) => work.scores.get(id)!,
        rng: ctx.rng("selection", ctx.generation),
        neighbours: (id) => work.neighbours.get(id)!,
      },
    );
    const ranking = selection.ranking;
    const { survivors, removed }: { survivors: string[]; removed: string[] } = last
      ? { survivors: [], removed: [] }
      : selection;

    const withAnswers = work.order.filter((id) => fractions.get(id) !== null);
    const metrics = {
      meanContributionFraction: mean(answered.map((d) => d.fraction)),
      zeroContributionRate:
        answered.length === 0
          ? null
          : answered.filter((d) => d.amount === 0).length / answered.length,
      meanPayoff: mean(work.roundPayoffs),
      meanScore: mean([...work.scores.values()]),
      giniScores: gini([...work.scores.values()]),
      degreeContributionCorrelation: pearson(
        withAnswers.map((id) => work.neighbours.get(id)!.length),
        withAnswers.map((id) => fractions.get(id)!),
      ),
      parseFailures: work.parseFailures,
      fallbackDecisions: work.fallbacks,
      // Only with a graph rule, so a default run's metrics stay as they were.
      ...(config.update.rule === "truncation"
        ? {}
        : { strandedUpdates: last ? null : selection.stranded }),
    };

    const newborns = last
      ? []
      : reproduce({
          agents: work.agents,
          survivors,
          removed,
          ...(config.update.rule === "truncation" ? {} : { parentsOf: selection.parentsOf }),
          scores: work.scores,
          fractions,
          neighbours: work.neighbours,
          generation: ctx.generation,
          policies: PUBLIC_GOODS_POLICIES,
          mutation: config.policyMutation,
          rng: ctx.rng("mutation", ctx.generation),
        });

    const surviving = new Set(survivors);
    const agentRows = ranking.map((id, rank) => {
      const agent = work.agents.get(id)!;
      return {
        generation: ctx.generation,
        agentId: id,
        slot: agent.slot,
        born: agent.generation,
        degree: work.neighbours.get(id)!.length,
        mindKind: agent.mind.kind,
        mind: agent.mind.kind === "llm" ? agent.mind.profile : agent.mind.policy,
        params: agent.mind.kind === "policy" ? agent.mind.params : null,
        parents: agent.parents,
        meanContributionFraction: fractions.get(id),
        fallbackDecisions: fallbacksBy.get(id) ?? 0,
        score: work.scores.get(id)!,
        rank: rank + 1,
        survived: last ? null : surviving.has(id),
      };
    });

    const bySlot = new Map(newborns.map((a) => [a.slot, a]));
    const next: PublicGoodsPopulation = last
      ? population
      : { agents: population.agents.map((a) => bySlot.get(a.slot) ?? a) };
    return {
      population: next,
      metrics,
      agentRows,
      survivors,
      removed,
      created: newborns.map((a) => a.id),
      scores: Object.fromEntries(work.order.map((id) => [id, work.scores.get(id)!])),
    };
  },
});
