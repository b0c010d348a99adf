import { describe, expect, it } from "vitest";
import { donorGameConfigSchema } from "../config.js";
import { donationPrompt, traceLine } from "../prompts.js";
import { alternatingSchedule, codeSchedule, reversed, type Pairing } from "../schedule.js";
import { Traces, type TraceEntry } from "../trace.js";

const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => (i < n / 2 ? `a${i + 1}` : `b${i + 1 - n / 2}`));
const halfOf = (id: string) => id[0] as "a" | "b";
const donorHalf = (round: readonly Pairing[]) => {
  const halves = new Set(round.map(([d]) => halfOf(d)));
  expect(halves.size).toBe(1);
  return [...halves][0]!.toUpperCase();
};

describe.each([
  ["code", codeSchedule],
  ["alternating", alternatingSchedule],
] as const)("%s schedule: structure", (_name, schedule) => {
  it.each([4, 6, 12])(
    "every agent appears exactly once per round and pairs join the halves (n=%i)",
    (n) => {
      const order = ids(n);
      const rounds = schedule(order, 2 * n + 3);
      expect(rounds).toHaveLength(2 * n + 3);
      for (const round of rounds) {
        expect(round).toHaveLength(n / 2);
        expect(round.flat().sort()).toEqual([...order].sort());
        for (const [d, r] of round) expect(halfOf(d)).not.toBe(halfOf(r));
        // One half donates in a round.
        donorHalf(round);
      }
    },
  );

  it("throws on an odd population", () => {
    expect(() => schedule(["x", "y", "z"], 3)).toThrow(/even/);
  });
});

describe("code schedule", () => {
  it("pairs as Python's b[-i:] + b[:-i] rotation does (n=6, by hand)", () => {
    const expected: [string, string][][] = [
      // i=0: b unrotated, A donates
      [
        ["a1", "b1"],
        ["a2", "b2"],
        ["a3", "b3"],
      ],
      // i=1: b -> [b3, b1, b2], B donates
      [
        ["b3", "a1"],
        ["b1", "a2"],
        ["b2", "a3"],
      ],
      // i=2: b -> [b2, b3, b1], A donates
      [
        ["a1", "b2"],
        ["a2", "b3"],
        ["a3", "b1"],
      ],
      // rounds 4..6: rounds 1..3 with roles swapped
      [
        ["b1", "a1"],
        ["b2", "a2"],
        ["b3", "a3"],
      ],
      [
        ["a1", "b3"],
        ["a2", "b1"],
        ["a3", "b2"],
      ],
      [
        ["b2", "a1"],
        ["b3", "a2"],
        ["b1", "a3"],
      ],
    ];
    expect(codeSchedule(ids(6), 6)).toEqual(expected);
    // Longer games cycle.
    expect(codeSchedule(ids(6), 14)).toEqual([...expected, ...expected, expected[0], expected[1]]);
  });

  it("uses the shuffled order it is given: first half A, second half B", () => {
    const order = ["z", "q", "m", "c"];
    expect(codeSchedule(order, 4)).toEqual([
      [
        ["z", "m"],
        ["q", "c"],
      ],
      [
        ["c", "z"],
        ["m", "q"],
      ],
      [
        ["m", "z"],
        ["c", "q"],
      ],
      [
        ["z", "c"],
        ["q", "m"],
      ],
    ]);
  });

  it.each([
    [4, "ABBA"],
    [6, "ABABAB"],
    [12, "ABABABBABABA"],
  ])("donor half per round for n=%i is %s, cycling", (n, pattern) => {
    const rounds = codeSchedule(ids(n), 3 * n);
    expect(rounds.map(donorHalf).join("")).toBe(pattern.repeat(3));
  });

  it("n=12: over 12 rounds each A meets each B exactly twice, once as donor and once as recipient", () => {
    const order = ids(12);
    const meetings = new Map<string, string[]>();
    for (const round of codeSchedule(order, 12))
      for (const [d, r] of round) {
        const key = [d, r].sort().join("-");
        meetings.set(key, [...(meetings.get(key) ?? []), d]);
      }
    expect(meetings.size).toBe(36);
    for (const [key, donors] of meetings) {
      const [a, b] = key.split("-");
      expect(donors.sort()).toEqual([a, b]);
    }
  });
});

describe("alternating schedule", () => {
  it("switches the donor half every round for the whole game", () => {
    expect(alternatingSchedule(ids(12), 14).map(donorHalf).join("")).toBe("AB".repeat(7));
    expect(alternatingSchedule(ids(4), 6).map(donorHalf).join("")).toBe("ABABAB");
  });

  it("rotates B by the round number (n=6 after round 3 keeps rotating)", () => {
    const rounds = alternatingSchedule(ids(6), 5);
    expect(rounds[3]).toEqual([
      ["b1", "a1"],
      ["b2", "a2"],
      ["b3", "a3"],
    ]);
    expect(rounds[4]).toEqual([
      ["a1", "b3"],
      ["a2", "b1"],
      ["a3", "b2"],
    ]);
  });

  it("n=12: each pair meets twice with the same donor (unlike the code schedule)", () => {
    const meetings = new Map<string, string[]>();
    for (const round of alternatingSchedule(ids(12), 12))
      for (const [d, r] of round) {
        const key = [d, r].sort().join("-");
        meetings.set(key, [...(meetings.get(key) ?? []), d]);
      }
    expect(meetings.size).toBe(36);
    for (const donors of meetings.values()) expect(donors).toEqual([donors[0], donors[0]]);
  });
});

describe("reversed", () => {
  it("swaps donor and recipient in every pairing and keeps the partners", () => {
    const first = codeSchedule(ids(12), 20);
    const second = reversed(first);
    expect(second).toHaveLength(20);
    second.forEach((round, r) => expect(round).toEqual(first[r]!.map(([d, rec]) => [rec, d])));
    expect(second.map(donorHalf).join("")).toBe(
      first.map((round) => (donorHalf(round) === "A" ? "B" : "A")).join(""),
    );
  });
});

/**
 * Traces of these agents in a game of `rounds` rounds, read and written by id (the scenario knows
 * agents by their place).
 */
function tracesOf(ids: readonly string[], depth: number, rounds = 10) {
  const traces = new Traces(ids, depth, rounds);
  const place = (id: string) => ids.indexOf(id);
  return {
    record: (entry: Exclude<TraceEntry, { kind: "none" }>) =>
      traces.record(entry, place(entry.donor), place(entry.recipient)),
    visible: (id: string) => traces.visible(place(id)),
  };
}

describe("chained traces", () => {
  const act = (round: number, donor: string, recipient: string, fraction: number) =>
    ({ kind: "donate", round, donor, recipient, amount: fraction * 10, fraction }) as const;

  it("starts every agent with a 'none' entry", () => {
    const traces = tracesOf(["x", "y"], 3);
    expect(traces.visible("x")).toEqual([{ kind: "none", agent: "x" }]);
    expect(traces.visible("y")).toEqual([{ kind: "none", agent: "y" }]);
  });

  it("a donor's trace becomes the recipient's trace plus its own action; visible newest first, at most depth", () => {
    const r1 = act(1, "C", "D", 0.1);
    const r2 = act(2, "B", "C", 0.2);
    const r3 = act(3, "A", "B", 0.3);
    const play = (depth: number) => {
      const traces = tracesOf(["A", "B", "C", "D"], depth);
      for (const r of [r1, r2, r3]) traces.record(r);
      return traces;
    };
    expect(play(3).visible("A")).toEqual([r3, r2, r1]);
    expect(play(1).visible("A")).toEqual([r3]);
    // Only `depth` entries are kept: with depth 2, A's trace lost r1 when B's did.
    expect(play(2).visible("A")).toEqual([r3, r2]);
    const deep = play(10);
    expect(deep.visible("A")).toEqual([r3, r2, r1, { kind: "none", agent: "D" }]);
    // B's own trace ends with its own action; recipients are not changed by being given to.
    expect(deep.visible("B")).toEqual([r2, r1, { kind: "none", agent: "D" }]);
    expect(deep.visible("D")).toEqual([{ kind: "none", agent: "D" }]);
  });

  it("a later action replaces the donor's whole history with the new recipient's", () => {
    const traces = tracesOf(["A", "B", "C"], 5);
    const first = act(1, "A", "B", 0.5);
    traces.record(first);
    const second = act(2, "A", "C", 0.25);
    traces.record(second);
    // A's earlier donation to B is gone: A's trace is C's (just "none") plus the new action.
    expect(traces.visible("A")).toEqual([second, { kind: "none", agent: "C" }]);
  });

  it("a refusal or punishment enters the trace like a donation", () => {
    const traces = tracesOf(["A", "B"], 3);
    const refusal = {
      kind: "refuse",
      round: 1,
      donor: "A",
      recipient: "B",
      amount: 0,
      fraction: null,
    } as const;
    traces.record(refusal);
    expect(traces.visible("A")[0]).toEqual(refusal);
    const punishment = {
      kind: "punish",
      round: 2,
      donor: "B",
      recipient: "A",
      amount: 1.25,
      fraction: null,
      taken: 2.5,
    } as const;
    traces.record(punishment);
    expect(traces.visible("B")).toEqual([punishment, refusal, { kind: "none", agent: "B" }]);
  });

  it("a game of few rounds keeps every entry its rounds can chain, however deep traceDepth is", () => {
    // 2 rounds: a trace holds at most its 2 moves and a "none", not traceDepth (50) entries.
    const traces = tracesOf(["A", "B", "C", "D"], 50, 2);
    const first = act(1, "C", "D", 0.1);
    const second = act(2, "B", "C", 0.2);
    traces.record(first);
    traces.record(act(1, "A", "B", 0.9));
    traces.record(second);
    traces.record(act(2, "D", "A", 0.4));
    expect(traces.visible("B")).toEqual([second, first, { kind: "none", agent: "D" }]);
    expect(traces.visible("D")).toEqual([
      act(2, "D", "A", 0.4),
      act(1, "A", "B", 0.9),
      { kind: "none", agent: "B" },
    ]);
  });
});

describe("trace lines and the donation prompt", () => {
  const config = donorGameConfigSchema.parse({});

  it("renders each kind of trace entry with percent to 2 decimals", () => {
    // Agent ids (g1-a3) appear under the paper's prompt names (1_3); other names pass unchanged.
    expect(traceLine({ kind: "none", agent: "g1-a3" })).toBe("1_3 has no previous interactions.");
    expect(
      traceLine({
        kind: "donate",
        round: 4,
        donor: "g1-a2",
        recipient: "g1-a9",
        amount: 10 / 3,
        fraction: 1 / 3,
      }),
    ).toBe("In round 4, 1_2 gave 33.33% of their resources to 1_9.");
    expect(
      traceLine({ kind: "donate", round: 1, donor: "x", recipient: "y", amount: 10, fraction: 1 }),
    ).toBe("In round 1, x gave 100.00% of their resources to y.");
    expect(
      traceLine({
        kind: "donate",
        round: 1,
        donor: "x",
        recipient: "y",
        amount: 0,
        fraction: 0.001266,
      }),
    ).toBe("In round 1, x gave 0.13% of their resources to y.");
    expect(
      traceLine({
        kind: "punish",
        round: 2,
        donor: "x",
        recipient: "y",
        amount: 1.5,
        fraction: null,
        taken: 3,
      }),
    ).toBe("In round 2, x spent 1.5 units to take 3 units away from y.");
    expect(
      traceLine({
        kind: "refuse",
        round: 5,
        donor: "x",
        recipient: "y",
        amount: 0,
        fraction: null,
      }),
    ).toBe("In round 5, x refused to play with y.");
  });

  it("does not HTML-escape names", () => {
    expect(
      traceLine({
        kind: "donate",
        round: 1,
        donor: "Tom & Jerry",
        recipient: "<b>",
        amount: 5,
        fraction: 0.5,
      }),
    ).toBe("In round 1, Tom & Jerry gave 50.00% of their resources to <b>.");
    expect(traceLine({ kind: "none", agent: 'a"<&>' })).toBe('a"<&> has no previous interactions.');
  });

  it("the donation prompt lists the visible trace newest first, unescaped", () => {
    const traces = tracesOf(["R&D", "<P>", "Q"], 3);
    const older: TraceEntry = {
      kind: "donate",
      round: 1,
      donor: "<P>",
      recipient: "Q",
      amount: 2.5,
      fraction: 0.25,
    };
    const newer: TraceEntry = {
      kind: "donate",
      round: 2,
      donor: "R&D",
      recipient: "<P>",
      amount: 7.5,
      fraction: 0.75,
    };
    traces.record(older as Exclude<TraceEntry, { kind: "none" }>);
    traces.record(newer as Exclude<TraceEntry, { kind: "none" }>);
    const trace = traces.visible("R&D");
    const prompt = donationPrompt(config, {
      name: "Me & You",
      strategy: "My strategy will be <generous> & fair.",
      generation: 2,
      round: 3,
      recipient: "R&D",
      recipientHoldings: 12.345,
      holdings: 7,
      trace,
    });
    const lines = [
      "In round 2, R&D gave 75.00% of their resources to <P>.",
      "In round 1, <P> gave 25.00% of their resources to Q.",
      "Q has no previous interactions.",
    ];
    for (const line of lines) expect(prompt).toContain(line);
    const at = lines.map((line) => prompt.indexOf(line));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(prompt).toContain("Your name is Me & You.");
    expect(prompt).toContain("My strategy will be <generous> & fair.");
    expect(prompt).toContain("You are paired with R&D, who currently holds 12.35 units");
    expect(prompt).toContain("You hold 7 units");
    expect(prompt).not.toMatch(/&amp;|&lt;|&gt;|&#/);
  });

  it("the prompt shows only the last traceDepth entries", () => {
    const traces = tracesOf(["A", "B", "C"], 1);
    traces.record({
      kind: "donate",
      round: 1,
      donor: "C",
      recipient: "B",
      amount: 1,
      fraction: 0.1,
    });
    traces.record({
      kind: "donate",
      round: 2,
      donor: "A",
      recipient: "C",
      amount: 2,
      fraction: 0.2,
    });
    const prompt = donationPrompt(config, {
      name: "D",
      strategy: undefined,
      generation: 1,
      round: 3,
      recipient: "A",
      recipientHoldings: 10,
      holdings: 10,
      trace: traces.visible("A"),
    });
    expect(prompt).toContain("In round 2, A gave 20.00% of their resources to C.");
    expect(prompt).not.toContain("In round 1");
    expect(prompt).not.toContain("no previous interactions");
    expect(prompt).not.toContain("Recall the strategy");
  });
});
