/**
 * Chained traces, as in the released code: when A acts as donor towards B, A's trace becomes B's
 * trace followed by A's action. A donor sees the recipient's last `depth` entries, newest first:
 * what the recipient did, what its partner did the round before, and so on. Only those entries are
 * kept, so a trace costs `depth` entries however long the game.
 */
import { roundHalfEven } from "../../sim/toolkit/stats.js";
import { DECISION_KINDS, type DecisionKind } from "./decisions.js";
export type TraceEntry =
  | { kind: "none"; agent: string }
  | {
      kind: DecisionKind;
      round: number;
      donor: string;
      recipient: string;
      amount: number;
      fraction: number | null;
      taken?: number;
    };

/** A move's entry as recorded: who gave to whom comes from the places it is recorded at. */
export type TraceAction = Omit<Exclude<TraceEntry, { kind: "none" }>, "donor" | "recipient">;

/** An entry's code: its kind's index here. */
const KINDS = ["none", ...DECISION_KINDS] as const;
/** Flags of an entry: its fraction is null, it has `taken`. */
const NO_FRACTION = 1;
const TAKEN = 2;

/**
 * Each agent's visible trace (newest first, at most `depth` entries), by the agent's place in the
 * generation's order. Entries are rows of typed columns, not objects: an entry lives until later
 * moves push it out of every trace, several rounds of 5,000 moves each at 10,000 agents, and
 * objects that outlive a round are what the garbage collector pays for. `visible` builds a trace's
 * entries when it is read.
 */
export class Traces {
  /**
   * Entry columns: rows 0 to n - 1 are each place's "none" entry (its agent in `donor`), then one
   * row per move.
   */
  private kind = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private round = new Int32Array(0);
  private donor = new Int32Array(0);
  private recipient = new Int32Array(0);
  private amount = new Float64Array(0);
  private fraction = new Float64Array(0);
  private taken = new Float64Array(0);
  private rows = 0;
  /** Place p's trace: the rows at lists[p * width ...], `lengths[p]` of them, newest first. */
  private readonly lists: Int32Array;
  private readonly lengths: Uint32Array;
  /** How many entries a trace can hold: `depth`, or fewer when the game is shorter. */
  private readonly width: number;

  /** Traces of agents in this order, for a game of `rounds` rounds. */
  constructor(
    private readonly ids: readonly string[],
    readonly depth: number,
    rounds: number,
  ) {
    // A trace chains at most one entry per round onto a "none".
    this.width = Math.min(depth, rounds + 1);
    this.lists = new Int32Array(ids.length * this.width);
    this.lengths = new Uint32Array(ids.length);
    this.grow(ids.length);
    for (let place = 0; place < ids.length; place++) {
      this.donor[place] = place;
      this.lists[place * this.width] = place;
      this.lengths[place] = 1;
    }
    this.rows = ids.length;
  }

  /** What a donor sees of the agent at `place`: its last `depth` entries, newest first. */
  visible(place: number): TraceEntry[] {
    const entries: TraceEntry[] = [];
    const at = place * this.width;
    for (let i = 0; i < this.lengths[place]!; i++) entries.push(this.entry(this.lists[at + i]!));
    return entries;
  }

  /**
   * A move of the donor at place `donor` to the recipient at place `recipient`: the donor's trace
   * becomes the entry followed by the recipient's trace.
   */
  record(entry: TraceAction, donor: number, recipient: number): void {
    if (this.rows === this.kind.length) this.grow(Math.max(2 * this.rows, 64));
    const row = this.rows++;
    this.kind[row] = KINDS.indexOf(entry.kind);
    this.flags[row] =
      (entry.fraction === null ? NO_FRACTION : 0) | (entry.taken === undefined ? 0 : TAKEN);
    this.round[row] = entry.round;
    this.donor[row] = donor;
    this.recipient[row] = recipient;
    this.amount[row] = entry.amount;
    this.fraction[row] = entry.fraction ?? 0;
    this.taken[row] = entry.taken ?? 0;
    const to = donor * this.width;
    const from = recipient * this.width;
    const kept = Math.min(this.lengths[recipient]!, this.width - 1);
    this.lists.copyWithin(to + 1, from, from + kept);
    this.lists[to] = row;
    this.lengths[donor] = kept + 1;
  }

  /** The donor's trace becomes a copy of the recipient's (see recordNoTransfer). */
  copy(donor: number, recipient: number): void {
    const from = recipient * this.width;
    this.lists.copyWithin(donor * this.width, from, from + this.lengths[recipient]!);
    this.lengths[donor] = this.lengths[recipient]!;
  }

  private entry(row: number): TraceEntry {
    const kind = KINDS[this.kind[row]!]!;
    if (kind === "none") return { kind, agent: this.ids[this.donor[row]!]! };
    const flags = this.flags[row]!;
    const entry: TraceEntry = {
      kind,
      round: this.round[row]!,
      donor: this.ids[this.donor[row]!]!,
      recipient: this.ids[this.recipient[row]!]!,
      amount: this.amount[row]!,
      fraction: flags & NO_FRACTION ? null : this.fraction[row]!,
    };
    if (flags & TAKEN) entry.taken = this.taken[row]!;
    return entry;
  }

  /** Room for `rows` entries, the rows so far kept. */
  private grow(rows: number): void {
    const wider = <T extends Uint8Array | Int32Array | Float64Array>(
      column: T,
      make: new (n: number) => T,
    ): T => {
      const next = new make(rows);
      next.set(column);
      return next;
    };
    this.kind = wider(this.kind, Uint8Array);
    this.flags = wider(this.flags, Uint8Array);
    this.round = wider(this.round, Int32Array);
    this.donor = wider(this.donor, Int32Array);
    this.recipient = wider(this.recipient, Int32Array);
    this.amount = wider(this.amount, Float64Array);
    this.fraction = wider(this.fraction, Float64Array);
    this.taken = wider(this.taken, Float64Array);
  }
}

/**
 * `outOfRange: no-transfer`, as the released code plays it: the donor adds no entry, but from
 * round 2 on its trace becomes a copy of the recipient's (the code copies it before the move);
 * in round 1 it keeps its own.
 */
export function recordNoTransfer(
  traces: Traces,
  round: number,
  donor: number,
  recipient: number,
): void {
  if (round > 1) traces.copy(donor, recipient);
}

/**
 * Python's `f"{x:.2f}"`: the exact binary value rounded to two decimals, an exact tie to the even
 * digit (26.125 -> "26.12"), where JS's toFixed rounds a tie up ("26.13").
 */
export function pythonFixed2(x: number): string {
  return roundHalfEven(x, 2).toFixed(2);
}

/**
 * Python's `str()` of a number the released code prints: an int as is ("10"), a float by its
 * shortest round-trip digits with at least one decimal ("8.0", "7.3875") and Python's exponent
 * form below 1e-4 and from 1e16 ("5e-05", "1e+16").
 */
export function pythonStr(x: number, isFloat: boolean): string {
  if (!isFloat) return String(x);
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const plain = x.toFixed(Math.max(0, (mantissa.split(".")[1]?.length ?? 0) - e));
  return plain.includes(".") ? plain : `${plain}.0`;
}
