/**
 * Chained traces, as in the released code: when A acts as donor towards B, A's trace becomes B's
 * trace followed by A's action. A donor sees the recipient's last `depth` entries, newest first:
 * what the recipient did, what its partner did the round before, and so on. Only those entries are
 * kept, so a trace costs `depth` entries however long the game.
 */
import { roundHalfEven } from "../../sim/toolkit/stats.js";
export type TraceEntry =
  | { kind: "none"; agent: string }
  | {
      kind: "donate" | "punish" | "refuse";
      round: number;
      donor: string;
      recipient: string;
      amount: number;
      fraction: number | null;
      taken?: number;
    };

/**
 * Each agent's visible trace (newest first, at most `depth` entries), by the agent's place in the
 * generation's order: an array, not a map by id, since every move reads one trace and writes one.
 */
export interface Traces {
  depth: number;
  byPlace: (readonly TraceEntry[])[];
}

/** Traces of agents in this order: agent i's trace is at place i. */
export function initialTraces(agentIds: readonly string[], depth: number): Traces {
  return { depth, byPlace: agentIds.map((id) => [{ kind: "none", agent: id }]) };
}

/** What a donor sees of the agent at `place`: its last `depth` entries, newest first. */
export function visibleTrace(traces: Traces, place: number): readonly TraceEntry[] {
  return traces.byPlace[place] ?? [];
}

/** Records a move of the donor at place `donor` to the recipient at place `recipient`. */
export function recordAction(
  traces: Traces,
  entry: Exclude<TraceEntry, { kind: "none" }>,
  donor: number,
  recipient: number,
): void {
  const chained = traces.byPlace[recipient] ?? [];
  // A loop, not [entry, ...chained.slice()]: one array per move instead of two.
  const next: TraceEntry[] = [entry];
  for (let i = 0; i < chained.length && next.length < traces.depth; i++) next.push(chained[i]!);
  traces.byPlace[donor] = next;
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
  if (round > 1) traces.byPlace[donor] = traces.byPlace[recipient] ?? [];
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
