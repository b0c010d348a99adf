/**
 * Selection between generations: which agents survive, which places are emptied, and whom each
 * emptied place's newcomer descends from. Scenario-neutral: it sees ids, scores and who is linked
 * to whom; what a newcomer inherits (a mind, advice, mutated parameters) is the scenario's
 * business.
 *
 * Rules:
 * - truncation: rank by score, highest first, ties in `order`; the top `survivorFraction` (at least
 * one) survive, the rest are removed, and each removed agent's newcomer has all survivors as
 * parents.
 * - death-birth: a uniformly random agent dies; a neighbour j, drawn with probability
 * f_j / (sum of f over its neighbours), fills the place with its offspring.
 * - birth-death: a parent i, drawn from the whole population with probability f_i / (sum of f),
 * puts its offspring in the place of a uniformly random neighbour.
 * - imitation (the Fermi rule): a uniformly random focal agent copies a uniformly random neighbour
 * (the model, its parent) with probability 1 / (1 + exp(-w (s_model - s_focal))), else nothing
 * happens. It reads scores, not fitness.
 *
 * The last three are the update rules of evolutionary graph theory (Ohtsuki, Hauert, Lieberman &
 * Nowak 2006, "A simple rule for the evolution of cooperation on graphs", Nature 441:502). The
 * fitness of score s at intensity w is linear, 1 - w + w s as in that paper (an error when
 * negative), or exponential, exp(w s). A generation is `updates` events, each replacing at most
 * one agent; only agents not yet replaced this generation take part (as victim, parent, focal or
 * model), since a replaced agent's score no longer stands for its place. Neighbours are
 * `input.neighbours`, or everyone else when it is omitted (well-mixed). An event whose drawn agent
 * has no neighbour left leaves it in place and counts as stranded.
 */
import type { Rng } from "../core/rng.js";

export { updateRuleSchema, type UpdateRule } from "../core/selection-config.js";
import type { UpdateRule } from "../core/selection-config.js";

type GraphRuleKind = "death-birth" | "birth-death" | "imitation";

export type SelectionRule =
  | { kind: "truncation"; survivorFraction: number }
  | {
      kind: GraphRuleKind;
      /** Selection intensity w >= 0. */
      intensity: number;
      /** Events per generation. */
      updates: number;
      fitness: "linear" | "exponential";
    };

type GraphRule = Extract<SelectionRule, { kind: GraphRuleKind }>;

/** The rule a config's `update:` names; truncation keeps the scenario's own survivor fraction. */
export function selectionRule(update: UpdateRule, survivorFraction: number): SelectionRule {
  if (update.rule === "truncation") return { kind: "truncation", survivorFraction };
  const { rule: kind, intensity, updates, fitness } = update;
  return { kind, intensity, updates, fitness };
}

export interface SelectionInput {
  /** The population's ids in tie-breaking order (e.g. the generation's shuffled order). */
  order: readonly string[];
  /** Each id's score; higher is fitter. */
  score: (id: string) => number;
  /** Draws for rules that draw (truncation does not). */
  rng: Rng;
  /**
   * The ids an agent's place is linked to: whom it competes with and learns from (on a directed
   * graph, its in-neighbours). Omitted: well-mixed, everyone else, which is also much faster than
   * listing a complete graph's neighbours. Truncation ignores it.
   */
  neighbours?: (id: string) => readonly string[];
}

export interface SelectionOutcome {
  /** Every id, fittest first (ties in `order`). */
  ranking: string[];
  /** In ranking order. */
  survivors: string[];
  /** In ranking order. */
  removed: string[];
  /**
   * For each removed id: the parents of the newcomer that takes its place. Truncation gives every
   * newcomer the same parents, so they share one frozen list (a copy each would hold survivors x
   * removed ids: 25 million at 10,000 agents); copy it to change it. The graph rules give each its
   * one parent.
   */
  parentsOf: Map<string, string[]>;
  /** Events whose drawn agent had no neighbour left to take part (truncation: 0). */
  stranded: number;
}

export function select(rule: SelectionRule, input: SelectionInput): SelectionOutcome {
  switch (rule.kind) {
    case "truncation":
      return truncation(rule.survivorFraction, input);
    case "death-birth":
    case "birth-death":
    case "imitation":
      return onGraph(rule, input);
  }
}

function truncation(survivorFraction: number, { order, score }: SelectionInput): SelectionOutcome {
  // A stable sort over `order`: ties keep that order.
  const ranking = [...order].sort((a, b) => score(b) - score(a));
  const keep = Math.max(1, Math.floor(order.length * survivorFraction));
  const survivors = ranking.slice(0, keep);
  const removed = ranking.slice(keep);
  const parents = Object.freeze([...survivors]) as string[];
  return {
    ranking,
    survivors,
    removed,
    parentsOf: new Map(removed.map((id) => [id, parents])),
    stranded: 0,
  };
}

/**
 * The three graph rules over agent indices (positions in `order`). Every draw is O(degree) or
 * O(log n), so a generation with `updates` up to the population size stays near-linear even at
 * 10,000 agents.
 */
function onGraph(rule: GraphRule, input: SelectionInput): SelectionOutcome {
  const { order, rng, neighbours } = input;
  const n = order.length;
  const scores = order.map((id) => input.score(id));
  scores.forEach((s, i) => {
    if (!Number.isFinite(s))
      throw new Error(
        `${rule.kind} selection: agent "${order[i]}" has score ${s}, not a finite number`,
      );
  });
  const indexOf = new Map(order.map((id, i) => [id, i]));
  const pool = new Pool(n);
  const parentOf = new Int32Array(n).fill(-1);
  const weigh = rule.kind === "imitation" ? undefined : fitness(rule, order, scores);
  // Birth-death draws parents from the whole population, as does death-birth when well-mixed.
  const tree =
    weigh && (rule.kind === "birth-death" || !neighbours) ? new WeightTree(pool, weigh) : undefined;

  /** Indices of i's neighbours still in the pool (i itself never). */
  const linked = (i: number): number[] => {
    const out: number[] = [];
    for (const id of neighbours!(order[i]!)) {
      const j = indexOf.get(id);
      if (j === undefined)
        throw new Error(`${rule.kind} selection: neighbour "${id}" of "${order[i]}" is no agent`);
      if (j !== i && pool.has(j)) out.push(j);
    }
    return out;
  };
  /** A uniformly random neighbour of i (a pool member) still in the pool, or -1. */
  const anyNeighbour = (i: number): number => {
    if (neighbours) {
      const near = linked(i);
      return near.length === 0 ? -1 : near[rng.int(0, near.length - 1)]!;
    }
    return pool.size < 2 ? -1 : pool.other(i, rng);
  };
  const replace = (victim: number, parent: number) => {
    parentOf[victim] = parent;
    pool.remove(victim);
    tree?.remove(victim);
  };

  let stranded = 0;
  for (let event = 0; event < rule.updates && pool.size > 0; event++) {
    if (rule.kind === "death-birth") {
      const victim = pool.at(rng.int(0, pool.size - 1));
      if (neighbours) {
        const near = linked(victim);
        if (near.length === 0) stranded++;
        else replace(victim, near[proportional(near, weigh!, rng)]!);
      } else if (pool.size < 2) stranded++;
      else {
        // The victim leaves first, so that the parent is drawn from everyone else.
        pool.remove(victim);
        tree!.remove(victim);
        parentOf[victim] = tree!.draw(rng);
      }
    } else if (rule.kind === "birth-death") {
      const parent = tree!.draw(rng);
      const victim = anyNeighbour(parent);
      if (victim < 0) stranded++;
      else replace(victim, parent);
    } else {
      const focal = pool.at(rng.int(0, pool.size - 1));
      const model = anyNeighbour(focal);
      if (model < 0) stranded++;
      else if (rng.bool(1 / (1 + Math.exp(-rule.intensity * (scores[model]! - scores[focal]!)))))
        replace(focal, model);
    }
  }

  // The same ranking as truncation's: a stable sort, ties in `order`.
  const ranked = order.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const removed = ranked.filter((i) => parentOf[i]! >= 0);
  return {
    ranking: ranked.map((i) => order[i]!),
    survivors: ranked.filter((i) => parentOf[i]! < 0).map((i) => order[i]!),
    removed: removed.map((i) => order[i]!),
    parentsOf: new Map(removed.map((i) => [order[i]!, [order[parentOf[i]!]!]])),
    stranded,
  };
}

/**
 * Each agent's fitness as a weight for proportional draws. Exponential weights are
 * exp(w (s - shift)) with the drawn set's highest score as shift: the same ratios, and exp can
 * neither overflow nor underflow to all zeros.
 */
interface Weigh {
  of(i: number, shift: number): number;
  /** The shift for a draw among `members` (linear fitness needs none: 0). */
  shiftFor(members: Iterable<number>): number;
  exponential: boolean;
}

function fitness(rule: GraphRule, order: readonly string[], scores: number[]): Weigh {
  const w = rule.intensity;
  if (rule.fitness === "exponential")
    return {
      of: (i, shift) => Math.exp(w * (scores[i]! - shift)),
      shiftFor: (members) => {
        let top = -Infinity;
        for (const i of members) top = Math.max(top, scores[i]!);
        return top;
      },
      exponential: true,
    };
  scores.forEach((s, i) => {
    const f = 1 - w + w * s;
    if (f < 0)
      throw new Error(
        `${rule.kind} selection: agent "${order[i]}" with score ${s} has linear fitness 1 - w + w*s = ${f} < 0 at intensity ${w}; use fitness: exponential (or a lower intensity)`,
      );
  });
  return { of: (i) => 1 - w + w * scores[i]!, shiftFor: () => 0, exponential: false };
}

/**
 * Which of `members` a fitness-proportional draw picks (a position in the list). When every
 * fitness is 0 (linear fitness at intensity 1 with scores of 0) none is favoured: uniform.
 */
function proportional(members: readonly number[], weigh: Weigh, rng: Rng): number {
  const shift = weigh.shiftFor(members);
  const weights = members.map((i) => weigh.of(i, shift));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return rng.int(0, members.length - 1);
  let target = rng.float() * total;
  let last = 0;
  for (let k = 0; k < weights.length; k++) {
    if (weights[k] === 0) continue;
    if (target < weights[k]!) return k;
    target -= weights[k]!;
    last = k;
  }
  // Rounding left a sliver past the last positive weight.
  return last;
}

/** The agents not yet replaced: O(1) membership, uniform draws and removal. */
class Pool {
  private readonly members: Int32Array;
  private readonly position: Int32Array;
  size: number;

  constructor(n: number) {
    this.members = new Int32Array(n);
    this.position = new Int32Array(n);
    for (let i = 0; i < n; i++) this.members[i] = this.position[i] = i;
    this.size = n;
  }

  has(i: number): boolean {
    return this.position[i]! >= 0;
  }

  at(k: number): number {
    return this.members[k]!;
  }

  /** A uniformly random member other than `i` (a member); needs two members. */
  other(i: number, rng: Rng): number {
    const k = rng.int(0, this.size - 2);
    return this.members[k >= this.position[i]! ? k + 1 : k]!;
  }

  remove(i: number): void {
    const k = this.position[i]!;
    if (k < 0) return;
    const last = this.members[--this.size]!;
    this.members[k] = last;
    this.position[last] = k;
    this.position[i] = -1;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let k = 0; k < this.size; k++) yield this.members[k]!;
  }
}

/**
 * Fitness-proportional draws from the pool in O(log n): a sum tree over the members' weights (a
 * removed agent weighs 0). Inner nodes are recomputed as sums of their children, never adjusted by
 * differences, so a subtree of removed agents sums to exactly 0 and a draw never lands in it.
 */
class WeightTree {
  private readonly leaves: number;
  private readonly sums: Float64Array;

  constructor(
    private readonly pool: Pool,
    private readonly weigh: Weigh,
  ) {
    this.leaves = 2 ** Math.ceil(Math.log2(Math.max(1, pool.size)));
    this.sums = new Float64Array(2 * this.leaves);
    this.fill();
  }

  /** Weighs every member anew (exponential fitness: the heaviest at 1). */
  private fill(): void {
    const shift = this.weigh.shiftFor(this.pool);
    this.sums.fill(0);
    for (const i of this.pool) this.sums[this.leaves + i] = this.weigh.of(i, shift);
    for (let k = this.leaves - 1; k >= 1; k--)
      this.sums[k] = this.sums[2 * k]! + this.sums[2 * k + 1]!;
  }

  remove(i: number): void {
    let k = this.leaves + i;
    this.sums[k] = 0;
    for (k >>= 1; k >= 1; k >>= 1) this.sums[k] = this.sums[2 * k]! + this.sums[2 * k + 1]!;
  }

  /**
   * A pool member drawn in proportion to its weight (the pool must not be empty); uniform when
   * every weight is 0.
   */
  draw(rng: Rng): number {
    // Once the heaviest are gone, the others' exponential weights may all have underflowed:
    // weighed again they have the same ratios, the heaviest at 1.
    if (this.sums[1] === 0 && this.weigh.exponential) this.fill();
    if (this.sums[1] === 0) return this.pool.at(rng.int(0, this.pool.size - 1));
    let target = rng.float() * this.sums[1]!;
    let k = 1;
    while (k < this.leaves) {
      const left = this.sums[2 * k]!;
      if (target < left || this.sums[2 * k + 1] === 0) k = 2 * k;
      else {
        target -= left;
        k = 2 * k + 1;
      }
    }
    return k - this.leaves;
  }
}
