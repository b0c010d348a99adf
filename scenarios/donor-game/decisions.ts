/**
 * A game's decisions, kept in schedule order until its generation's metrics read them: one slot
 * per pairing of every round, filled when the move is played (a skipped pair's slot stays empty).
 * Columns rather than an object per move, since a 10,000-agent game makes 60,000 decisions (12
 * rounds of 5,000) that outlive their round, and every one that does costs the garbage collector.
 * Slots are read in schedule order, never in the order calls completed, so that the floating-point
 * sums behind the metrics are the same in a run and in its replay.
 */

/** What a decision did: the classic payoff's cooperations and defections are donations. */
export const DECISION_KINDS = ["donate", "punish", "refuse"] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** A slot's code: 0 for empty, else 1 + the kind's index in DECISION_KINDS. */
const EMPTY = 0;

export interface Decision {
  kind: DecisionKind;
  /** The donor's place in the generation's order. */
  donor: number;
  /** Of the holdings (1 for a cooperation, 0 for a defection, a punishment or a refusal). */
  fraction: number;
  /** No usable answer: a donation of 0 by the game's rules, but no data on what the model chose. */
  fallback: boolean;
}

/** What the decision metrics read: answered decisions (no fallbacks) and the fallbacks apart. */
export interface Tally {
  answered: number;
  fallbacks: number;
  /** Sum of the answered decisions' fractions, in slot order. */
  fractionSum: number;
  punish: number;
  refuse: number;
}

export class DecisionLog {
  private readonly kind: Uint8Array;
  private readonly fallback: Uint8Array;
  private readonly donor: Int32Array;
  private readonly fraction: Float64Array;
  /** Round r (from 1) owns the slots [starts[r - 1], starts[r]). */
  private readonly starts: number[] = [0];

  /** `roundSizes[r]`: the number of pairings of round r + 1. */
  constructor(roundSizes: readonly number[]) {
    for (const size of roundSizes) this.starts.push(this.starts.at(-1)! + size);
    const slots = this.starts.at(-1)!;
    this.kind = new Uint8Array(slots);
    this.fallback = new Uint8Array(slots);
    this.donor = new Int32Array(slots);
    this.fraction = new Float64Array(slots);
  }

  /** The slot of round `round`'s pairing `j`. */
  slot(round: number, j: number): number {
    return this.starts[round - 1]! + j;
  }

  record(slot: number, decision: Decision): void {
    this.kind[slot] = 1 + DECISION_KINDS.indexOf(decision.kind);
    this.fallback[slot] = decision.fallback ? 1 : 0;
    this.donor[slot] = decision.donor;
    this.fraction[slot] = decision.fraction;
  }

  /** Adds the decisions of round `round` (every round when omitted) to `tally`, in slot order. */
  tally(tally: Tally, round?: number): Tally {
    const from = round === undefined ? 0 : this.starts[round - 1]!;
    const to = round === undefined ? this.starts.at(-1)! : this.starts[round]!;
    for (let i = from; i < to; i++) {
      const kind = this.kind[i]!;
      if (kind === EMPTY) continue;
      if (this.fallback[i] === 1) {
        tally.fallbacks++;
        continue;
      }
      tally.answered++;
      tally.fractionSum += this.fraction[i]!;
      if (DECISION_KINDS[kind - 1] === "punish") tally.punish++;
      else if (DECISION_KINDS[kind - 1] === "refuse") tally.refuse++;
    }
    return tally;
  }

  /**
   * Adds each donor's answered fractions to `sums` and counts them in `counts` (both by place), in
   * slot order.
   */
  addGiving(sums: Float64Array, counts: Uint32Array): void {
    for (let i = 0; i < this.kind.length; i++) {
      if (this.kind[i] === EMPTY || this.fallback[i] === 1) continue;
      const donor = this.donor[i]!;
      sums[donor] = sums[donor]! + this.fraction[i]!;
      counts[donor] = counts[donor]! + 1;
    }
  }
}

export const emptyTally = (): Tally => ({
  answered: 0,
  fallbacks: 0,
  fractionSum: 0,
  punish: 0,
  refuse: 0,
});

/** The mean fraction of the answered decisions, null for none. */
export const meanFraction = (t: Tally): number | null =>
  t.answered === 0 ? null : t.fractionSum / t.answered;

/**
 * Each donor's giving: the mean fraction of its holdings it gave over its answered moves in these
 * games, in order (a punishment or refusal gives 0; fallbacks are left out, as in the decision
 * metrics). Donors without an answered move have none.
 */
export function givingOf(
  logs: readonly DecisionLog[],
  ids: readonly string[],
): Map<string, number> {
  const sums = new Float64Array(ids.length);
  const counts = new Uint32Array(ids.length);
  for (const log of logs) log.addGiving(sums, counts);
  const giving = new Map<string, number>();
  for (const [place, id] of ids.entries())
    if (counts[place]! > 0) giving.set(id, sums[place]! / counts[place]!);
  return giving;
}
