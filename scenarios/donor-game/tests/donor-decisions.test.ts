/**
 * A game's decision log (decisions.ts): the decision metrics read it in schedule order whatever
 * order the moves were played in (LLM calls complete in any order), skip pairs never played and
 * count fallbacks apart.
 */
import { describe, expect, it } from "vitest";
import { DecisionLog, emptyTally, givingOf, meanFraction, type Decision } from "../decisions.js";

const gave = (donor: number, fraction: number): Decision => ({
  kind: "donate",
  donor,
  fraction,
  fallback: false,
});

describe("DecisionLog", () => {
  // Round 1 has three pairings, round 2 two. 0.1 + 0.2 + 0.3 is 0.6000000000000001 in slot order
  // and 0.6 in the reverse: the order of the sums shows in the metrics' bits.
  const played: [number, number, Decision][] = [
    [1, 0, gave(0, 0.1)],
    [1, 1, gave(1, 0.2)],
    [1, 2, gave(2, 0.3)],
    [2, 0, { kind: "punish", donor: 0, fraction: 0, fallback: false }],
    [2, 1, { kind: "donate", donor: 1, fraction: 0, fallback: true }],
  ];
  const logOf = (moves: [number, number, Decision][]) => {
    const log = new DecisionLog([3, 2]);
    for (const [round, j, decision] of moves) log.record(log.slot(round, j), decision);
    return log;
  };

  it("tallies in slot order, whatever order the decisions were recorded in", () => {
    const inOrder = logOf(played);
    const reversed = logOf([...played].reverse());
    for (const log of [inOrder, reversed]) {
      const round1 = log.tally(emptyTally(), 1);
      expect(round1).toEqual({
        answered: 3,
        fallbacks: 0,
        fractionSum: 0.1 + 0.2 + 0.3,
        punish: 0,
        refuse: 0,
      });
      expect(meanFraction(round1)).toBe((0.1 + 0.2 + 0.3) / 3);
      // The fallback is counted, not averaged; the punishment is an answered decision giving 0.
      expect(log.tally(emptyTally(), 2)).toEqual({
        answered: 1,
        fallbacks: 1,
        fractionSum: 0,
        punish: 1,
        refuse: 0,
      });
      expect(log.tally(emptyTally())).toMatchObject({ answered: 4, fallbacks: 1, punish: 1 });
    }
  });

  it("skips pairings never played, and gives null for a round with no answer", () => {
    const log = logOf([[1, 1, gave(1, 0.5)]]);
    expect(log.tally(emptyTally(), 1)).toMatchObject({ answered: 1, fractionSum: 0.5 });
    expect(meanFraction(log.tally(emptyTally(), 2))).toBeNull();
  });

  it("gives each donor its mean answered fraction over the games, in order; none without one", () => {
    const game1 = logOf(played);
    const game2 = logOf([[1, 0, gave(1, 0.7)]]);
    const giving = givingOf([game1, game2], ["a", "b", "c", "d"]);
    expect(Object.fromEntries(giving)).toEqual({ a: 0.1 / 2, b: (0.2 + 0.7) / 2, c: 0.3 });
  });
});
