/**
 * Between two Donor Game generations: who is replaced and by whose offspring (`update`), whom the
 * newcomers and the revising survivors learn from (`learning`), and the next population.
 *
 * - `update: truncation` (the paper): the top `survivorFraction` survive (with `survivors: random`,
 *   the released code's control, a seeded random sample of as many, whatever their scores). With
 *   `learning: global` every newcomer's parents are all the survivors: an LLM newcomer is shown
 *   their usable strategies, a policy newcomer copies a random surviving policy agent (mutated).
 *   With `learning: neighbours` the same, from the survivors among the graph in-neighbours of the
 *   newcomer's place only (its parents are those survivors).
 * - `update: death-birth | birth-death | imitation`: the rule draws each newcomer's single parent,
 *   an in-neighbour of its place. A policy newcomer copies it (mutated); an LLM newcomer is shown
 *   its strategy first, then the other survivors' (`global`) or the other surviving
 *   in-neighbours' (`neighbours`).
 * - A learner with nothing to learn from nearby (no surviving in-neighbour with a usable strategy
 *   and no drawn parent's; for a policy newcomer, no surviving policy in-neighbour) learns from all
 *   survivors instead, and is counted in `learnedGlobally`.
 * - A revising survivor (`survivorsRevise`) is shown what a newcomer in its place would be (its own
 *   strategy only under `learning: global`, as the paper's code does).
 * - A place keeps its kind of mind: an LLM place's newcomer keeps its profile; a policy place whose
 *   parent is no policy agent (none survived, or the rule drew an LLM agent) copies its own policy.
 */
import type { MindSpec } from "../../sim/core/minds.js";
import { agentId } from "../../sim/core/ids.js";
import type { StepContext } from "../../sim/core/scenario.js";
import { select, selectionRule, type SelectionRule } from "../../sim/toolkit/selection.js";
import { adviceShown, neighbourAdvice, type AdviceEntry } from "./advice.js";
import type { DonorGameConfig } from "./config.js";
import { DONOR_POLICIES } from "./policies.js";
import type { DonorAgent, DonorPopulation } from "./scenario.js";

type Ctx = StepContext<DonorGameConfig>;
type PolicyMind = Extract<MindSpec, { kind: "policy" }>;

export interface Evolution {
  /** Every agent, fittest first (ties in the generation's shuffled order). */
  ranking: string[];
  survivors: string[];
  removed: string[];
  /** The newcomers, `removed[i]`'s place going to `newborns[i]`. */
  newborns: DonorAgent[];
  population: DonorPopulation;
  /**
   * Written only where the setting makes them (a graph update rule; learning: neighbours), so that
   * no run has a column of nulls; null in the last generation, which replaces no one.
   */
  metrics: { strandedUpdates?: number | null; learnedGlobally?: number | null };
}

/** Ranks the generation, replaces agents by `update`, and builds the next population. */
export function evolve(
  population: DonorPopulation,
  { order, agents }: { order: readonly string[]; agents: ReadonlyMap<string, DonorAgent> },
  scores: Readonly<Record<string, number>>,
  ctx: Ctx,
  last: boolean,
): Evolution {
  const config = ctx.config;
  const graph = ctx.graph;
  const rng = ctx.rng("selection", ctx.generation);
  const explicit = graph.kind !== "complete";
  const occupant = new Map(population.agents.map((a) => [a.slot, a.id]));
  const inNeighbours = (slot: string): string[] =>
    graph.inboundNeighbors(slot).map((s) => occupant.get(s)!);
  // The last generation replaces no one, so it only ranks (truncation draws nothing).
  const rule: SelectionRule = last
    ? { kind: "truncation", survivorFraction: config.survivorFraction }
    : selectionRule(config.update, config.survivorFraction);
  // Ties fall to the shuffled order. On the complete graph the rules' default neighbourhood
  // (everyone else) means the same without a list of n - 1 ids per agent.
  const selection = select(rule, {
    order,
    score: (id) => scores[id]!,
    rng,
    ...(explicit ? { neighbours: (id: string) => inNeighbours(agents.get(id)!.slot) } : {}),
  });
  const { ranking } = selection;
  if (last)
    return {
      ranking,
      survivors: [],
      removed: [],
      newborns: [],
      population,
      metrics: settingMetrics(config, null, null),
    };
  let { survivors, removed } = selection;
  let parentsOf = selection.parentsOf;
  if (config.survivors === "random" && rule.kind === "truncation") {
    // Its own stream: the ranking draws nothing, and the other rules do not run with this.
    const drawn = new Set(
      ctx.rng("selection", ctx.generation, "random").shuffle(order).slice(0, survivors.length),
    );
    survivors = ranking.filter((id) => drawn.has(id));
    removed = ranking.filter((id) => !drawn.has(id));
    const parents = Object.freeze([...survivors]) as string[];
    parentsOf = new Map(removed.map((id) => [id, parents]));
  }

  const surviving = new Set(survivors);
  const rank = new Map(ranking.map((id, i) => [id, i]));
  const usable = (id: string): AdviceEntry | undefined => {
    const strategy = agents.get(id)!.strategy;
    return typeof strategy === "string" ? { id, strategy, score: scores[id]! } : undefined;
  };
  const advice = survivors.flatMap((id) => {
    const entry = usable(id);
    return entry ? [entry] : [];
  });
  const neighbours = config.learning === "neighbours";
  let learnedGlobally = 0;
  /**
   * The survivors among the in-neighbours of a removed agent's place, fittest first; on the
   * complete graph every survivor, `everyone` (so lists already made are shared, not copied).
   */
  const survivorsAround = (slot: string, everyone: string[]): string[] =>
    explicit
      ? inNeighbours(slot)
          .filter((id) => surviving.has(id))
          .sort((a, b) => rank.get(a)! - rank.get(b)!)
      : everyone;
  let policySurvivors: DonorAgent[] | undefined;
  const policyAmong = (ids: readonly string[]): DonorAgent[] =>
    ids.map((s) => agents.get(s)!).filter((a) => a.mind.kind === "policy");
  const copyPolicy = (parent: DonorAgent): PolicyMind => {
    const mind = parent.mind as PolicyMind;
    const mutate = DONOR_POLICIES[mind.policy]!.mutate;
    const params = mutate ? mutate(mind.params, rng, config.policyMutation) : mind.params;
    return { kind: "policy", policy: mind.policy, params };
  };

  const newborns = removed.map((removedId, i): DonorAgent => {
    const gone = agents.get(removedId)!;
    const born = { id: agentId(ctx.generation + 1, i + 1), generation: ctx.generation + 1 };
    if (rule.kind !== "truncation") {
      const parent = agents.get(parentsOf.get(removedId)![0]!)!;
      if (gone.mind.kind === "policy") {
        const model = parent.mind.kind === "policy" ? parent : gone;
        return { ...born, slot: gone.slot, parents: [model.id], mind: copyPolicy(model) };
      }
      const mentor = usable(parent.id);
      const alone =
        neighbours && !mentor && !survivorsAround(gone.slot, survivors).some((id) => usable(id));
      if (alone) learnedGlobally++;
      return {
        ...born,
        slot: gone.slot,
        parents: [parent.id],
        mind: gone.mind,
        ...(mentor ? { mentor } : {}),
        ...(alone ? { learnsGlobally: true } : {}),
      };
    }
    // Truncation: every survivor, one shared frozen list (see select).
    const all = parentsOf.get(removedId)!;
    const around = neighbours ? survivorsAround(gone.slot, all) : all;
    if (gone.mind.kind === "llm") {
      const alone = neighbours && !around.some((id) => usable(id));
      if (alone) learnedGlobally++;
      return {
        ...born,
        slot: gone.slot,
        parents: alone ? all : around,
        mind: gone.mind,
        ...(alone ? { learnsGlobally: true } : {}),
      };
    }
    policySurvivors ??= policyAmong(all);
    let candidates = around === all ? policySurvivors : policyAmong(around);
    if (candidates.length === 0 && neighbours) {
      learnedGlobally++;
      candidates = policySurvivors;
    }
    const parent = candidates.length > 0 ? rng.pick(candidates) : gone;
    return { ...born, slot: gone.slot, parents: [parent.id], mind: copyPolicy(parent) };
  });

  const bySlot = new Map<string, DonorAgent>();
  for (const id of survivors) {
    const agent = agents.get(id)!;
    if (!config.survivorsRevise) {
      bySlot.set(agent.slot, { ...agent });
      continue;
    }
    const alone =
      neighbours &&
      agent.mind.kind === "llm" &&
      !advice.some((e) => graph.hasEdge(agents.get(e.id)!.slot, agent.slot));
    if (alone) learnedGlobally++;
    bySlot.set(agent.slot, { ...agent, revise: true, ...(alone ? { learnsGlobally: true } : {}) });
  }
  for (const agent of newborns) bySlot.set(agent.slot, agent);
  return {
    ranking,
    survivors,
    removed,
    newborns,
    population: { agents: population.agents.map((a) => bySlot.get(a.slot)!), advice },
    metrics: settingMetrics(config, selection.stranded, learnedGlobally),
  };
}

const slotIndexes = new WeakMap<readonly DonorAgent[], Map<string, string>>();

/** Each agent's place, indexed once per population (every learner of a generation asks). */
function slotIndex(agents: readonly DonorAgent[]): Map<string, string> {
  let index = slotIndexes.get(agents);
  if (!index) {
    index = new Map(agents.map((a) => [a.id, a.slot]));
    slotIndexes.set(agents, index);
  }
  return index;
}

/**
 * The strategies `agent`'s strategy prompt shows (see the rules above), sampled down to
 * `adviceSample` with its seeded stream; null before any generation has been selected.
 */
export function strategyAdvice(
  agent: DonorAgent,
  population: DonorPopulation,
  ctx: Ctx,
): { shown: readonly AdviceEntry[]; of: number; mentor: boolean; nearby: boolean } | null {
  const pool = population.advice;
  if (!pool) return null;
  const config = ctx.config;
  let others: readonly AdviceEntry[] = pool;
  const nearby = config.learning === "neighbours" && !agent.learnsGlobally;
  if (nearby) {
    const slots = slotIndex(population.agents);
    others = neighbourAdvice(ctx.graph, agent.slot, pool, (id) => slots.get(id)!);
  }
  const shown = adviceShown(agent.mentor, others, config.adviceSample, () =>
    ctx.rng("advice", agent.id, ctx.generation),
  );
  return { ...shown, mentor: agent.mentor !== undefined, nearby };
}

function settingMetrics(
  config: DonorGameConfig,
  stranded: number | null,
  learnedGlobally: number | null,
): Evolution["metrics"] {
  return {
    ...(config.update.rule === "truncation" ? {} : { strandedUpdates: stranded }),
    ...(config.learning === "neighbours" ? { learnedGlobally } : {}),
  };
}
