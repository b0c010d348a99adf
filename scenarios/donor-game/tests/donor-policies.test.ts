import { afterAll, describe, expect, it } from "vitest";
import { parseDonation, parseStrategy, type Punishment } from "../parse.js";
import { DONOR_POLICIES, type DonationState } from "../policies.js";
import type { TraceEntry } from "../trace.js";
import { Rng } from "../../../sim/core/rng.js";
import { interactions, runDonor, scratch } from "../../../tests/support/donor-helpers.js";

type Params = Record<string, unknown>;

const NONE: TraceEntry = { kind: "none", agent: "r" };
const gave = (fraction: number, round = 1): TraceEntry => ({
  kind: "donate",
  round,
  donor: "r",
  recipient: "s",
  amount: fraction * 10,
  fraction,
});
const refused: TraceEntry = {
  kind: "refuse",
  round: 2,
  donor: "r",
  recipient: "s",
  amount: 0,
  fraction: null,
};
const punished: TraceEntry = {
  kind: "punish",
  round: 2,
  donor: "r",
  recipient: "s",
  amount: 3,
  fraction: null,
  taken: 6,
};

function policyParams(name: string, params: Params): Params {
  return DONOR_POLICIES[name]!.paramsSchema.parse(params) as Params;
}

/** Asks a policy as the engine does and parses its answer as the engine does. */
function decide(
  name: string,
  params: Params,
  state: Partial<DonationState> & { holdings: number },
  rng = new Rng(1, ["test"]),
) {
  const full: DonationState = {
    recipientHoldings: 10,
    trace: [NONE],
    punishment: "none",
    ...state,
  };
  const text = DONOR_POLICIES[name]!.decide({
    purpose: "donation",
    state: full,
    params: policyParams(name, params),
    rng,
  });
  const parsed = parseDonation(text, {
    punishment: full.punishment as Punishment,
    holdings: full.holdings,
    outOfRange: "reject",
  });
  if (!parsed.ok) throw new Error(`unparsable answer from ${name}: ${parsed.reason}\n${text}`);
  return { text, action: parsed.action };
}

const amountOf = (action: ReturnType<typeof decide>["action"]) => {
  if (action.kind === "refuse") throw new Error("refusal has no amount");
  return action.amount;
};

describe("constant and defect", () => {
  it.each([
    [0, 10],
    [0.25, 10],
    [0.4, 7.5],
    [1, 13.37],
    [0.3, 1234.5678],
  ])("constant %d gives f * holdings (holdings %d)", (f, holdings) => {
    for (const trace of [[NONE], [gave(0)], [gave(1)]]) {
      const { action } = decide("constant", { fraction: f }, { holdings, trace });
      expect(action.kind).toBe("donate");
      expect(amountOf(action)).toBeCloseTo(f * holdings, 9);
    }
  });

  it("constant answers 'Donate, x' under costly punishment", () => {
    const { text, action } = decide(
      "constant",
      { fraction: 0.5 },
      { holdings: 8, punishment: "costly" },
    );
    expect(text).toMatch(/Answer: Donate, 4\.0+$/);
    expect(action).toEqual({ kind: "donate", amount: 4 });
  });

  it("defect always gives 0", () => {
    for (const punishment of ["none", "costly", "partner-choice"] as const)
      for (const trace of [[NONE], [gave(1)], [gave(0)]])
        expect(decide("defect", {}, { holdings: 10, trace, punishment }).action).toEqual({
          kind: "donate",
          amount: 0,
        });
  });
});

describe("tit-for-tat", () => {
  it("gives the fraction the recipient last gave (trace[0] is the newest)", () => {
    expect(
      amountOf(
        decide(
          "tit-for-tat",
          { initial: 1 },
          { holdings: 10, trace: [gave(0.3, 3), gave(0.9, 2), NONE] },
        ).action,
      ),
    ).toBeCloseTo(3, 9);
    expect(
      amountOf(
        decide("tit-for-tat", { initial: 1 }, { holdings: 20, trace: [gave(0.75, 3), gave(0, 2)] })
          .action,
      ),
    ).toBeCloseTo(15, 9);
    expect(
      amountOf(
        decide("tit-for-tat", { initial: 1 }, { holdings: 10, trace: [gave(0, 3), gave(1, 2)] })
          .action,
      ),
    ).toBe(0);
  });

  it("treats a recipient whose last act was a punishment or a refusal as having given 0", () => {
    expect(
      amountOf(
        decide("tit-for-tat", { initial: 1 }, { holdings: 10, trace: [refused, gave(1)] }).action,
      ),
    ).toBe(0);
    expect(
      amountOf(
        decide("tit-for-tat", { initial: 1 }, { holdings: 10, trace: [punished, gave(1)] }).action,
      ),
    ).toBe(0);
  });

  it("gives `initial` to a recipient with no history (default 1)", () => {
    expect(
      amountOf(decide("tit-for-tat", { initial: 0.2 }, { holdings: 10, trace: [NONE] }).action),
    ).toBeCloseTo(2, 9);
    expect(amountOf(decide("tit-for-tat", {}, { holdings: 10, trace: [NONE] }).action)).toBeCloseTo(
      10,
      9,
    );
    expect(
      amountOf(decide("tit-for-tat", { initial: 0.6 }, { holdings: 5, trace: [] }).action),
    ).toBeCloseTo(3, 9);
  });
});

describe("image-scoring", () => {
  const params = { threshold: 0.3, fraction: 0.6, punish: 0 };

  it("gives `fraction` iff the recipient's last act gave at least the threshold, or it has no history", () => {
    const give = (trace: TraceEntry[]) =>
      amountOf(decide("image-scoring", params, { holdings: 10, trace }).action);
    expect(give([NONE])).toBeCloseTo(6, 9);
    expect(give([gave(0.3)])).toBeCloseTo(6, 9);
    expect(give([gave(0.9), gave(0)])).toBeCloseTo(6, 9);
    expect(give([gave(0.29)])).toBe(0);
    expect(give([gave(0), gave(1)])).toBe(0);
    expect(give([refused])).toBe(0);
    expect(give([punished])).toBe(0);
  });

  it("with punish > 0 under costly punishment, punishes a recipient below the threshold with punish * holdings", () => {
    const p = { ...params, punish: 0.25 };
    expect(
      decide("image-scoring", p, { holdings: 8, trace: [gave(0.1)], punishment: "costly" }).action,
    ).toEqual({ kind: "punish", amount: 2 });
    // Good standing is still rewarded; punish 0 only withholds.
    expect(
      decide("image-scoring", p, { holdings: 8, trace: [gave(0.5)], punishment: "costly" }).action,
    ).toEqual({ kind: "donate", amount: 4.8 });
    expect(
      decide("image-scoring", params, { holdings: 8, trace: [gave(0.1)], punishment: "costly" })
        .action,
    ).toEqual({ kind: "donate", amount: 0 });
    // Without a punishment option it withholds.
    expect(
      decide("image-scoring", p, { holdings: 8, trace: [gave(0.1)], punishment: "none" }).action,
    ).toEqual({ kind: "donate", amount: 0 });
  });

  it("with punish > 0 under partner choice, refuses a recipient below the threshold", () => {
    const p = { ...params, punish: 0.5 };
    expect(
      decide("image-scoring", p, { holdings: 8, trace: [gave(0)], punishment: "partner-choice" })
        .action,
    ).toEqual({ kind: "refuse" });
    expect(
      decide("image-scoring", p, { holdings: 8, trace: [NONE], punishment: "partner-choice" })
        .action.kind,
    ).toBe("donate");
    expect(
      decide("image-scoring", params, {
        holdings: 8,
        trace: [gave(0)],
        punishment: "partner-choice",
      }).action,
    ).toEqual({ kind: "donate", amount: 0 });
  });
});

describe("random", () => {
  it("gives a fraction within [min, max] that varies across streams", () => {
    const fractions = Array.from(
      { length: 300 },
      (_, i) =>
        amountOf(
          decide(
            "random",
            { min: 0.2, max: 0.45 },
            { holdings: 10 },
            new Rng(i, ["mind"]).derive("x"),
          ).action,
        ) / 10,
    );
    for (const f of fractions) {
      expect(f).toBeGreaterThanOrEqual(0.2 - 1e-12);
      expect(f).toBeLessThanOrEqual(0.45 + 1e-12);
    }
    expect(Math.min(...fractions)).toBeLessThan(0.23);
    expect(Math.max(...fractions)).toBeGreaterThan(0.42);
  });

  it("is reproducible with the same seed and path, and differs with another path", () => {
    const ask = (seed: number, ...path: (string | number)[]) =>
      decide("random", { min: 0, max: 1 }, { holdings: 10 }, new Rng(seed, path)).text;
    expect(ask(5, "mind", "g1-a3", 1, 1, 4)).toBe(ask(5, "mind", "g1-a3", 1, 1, 4));
    expect(ask(5, "mind", "g1-a3", 1, 1, 4)).not.toBe(ask(5, "mind", "g1-a3", 1, 1, 5));
    expect(ask(5, "mind", "g1-a3", 1, 1, 4)).not.toBe(ask(6, "mind", "g1-a3", 1, 1, 4));
  });
});

describe("strategy purpose", () => {
  it.each([
    ["constant", { fraction: 0.25 }, /25%/],
    ["defect", {}, /never give/],
    ["tit-for-tat", { initial: 0.8 }, /80%/],
    ["image-scoring", { threshold: 0.3, fraction: 0.6, punish: 0.1 }, /60%.*30%.*punish/],
    ["random", { min: 0.1, max: 0.9 }, /10%.*90%/],
  ] as const)("%s returns a sentence starting 'My strategy will be'", (name, params, detail) => {
    const text = DONOR_POLICIES[name]!.decide({
      purpose: "strategy",
      state: {},
      params: policyParams(name, params),
      rng: new Rng(1),
    });
    expect(text.startsWith("My strategy will be")).toBe(true);
    expect(text).toMatch(detail);
    expect(parseStrategy(text)).toEqual({ ok: true, justification: "", strategy: text });
  });
});

describe("the fast path (act)", () => {
  const params: [string, Params][] = [
    ["constant", { fraction: 0.37 }],
    ["defect", {}],
    ["tit-for-tat", { initial: 0.9 }],
    ["image-scoring", { threshold: 0.3, fraction: 0.61, punish: 0 }],
    ["image-scoring", { threshold: 0.3, fraction: 0.61, punish: 0.23 }],
    ["random", { min: 0.1, max: 0.9 }],
  ];
  const traces = [[NONE], [gave(0.1)], [gave(0.7)], [refused], [punished]];
  // 0.1 + 0.2 and 1/3 do not survive 12 decimals; 1e22 is written with an exponent, of which the
  // parser reads the mantissa.
  const holdings = [0, 10, 0.1 + 0.2, 1 / 3, 1234.5678, 1e22];

  it.each(params)(
    "%s %j: the value the parser reads from the policy's text, bit for bit",
    (name, raw) => {
      const policy = DONOR_POLICIES[name]!;
      let compared = 0;
      for (const punishment of ["none", "costly", "partner-choice"] as const)
        for (const trace of traces)
          for (const h of holdings) {
            const state: DonationState = { holdings: h, recipientHoldings: 5, trace, punishment };
            const input = { purpose: "donation", state, params: policyParams(name, raw) };
            const text = policy.decide({ ...input, rng: new Rng(4, ["fast", compared]) });
            const read = parseDonation(text, { punishment, holdings: h, outOfRange: "reject" });
            expect(policy.act!({ ...input, rng: new Rng(4, ["fast", compared]) })).toEqual(read);
            compared++;
          }
    },
  );

  it.each(params)("%s %j: a strategy is the parsed description", (name, raw) => {
    const policy = DONOR_POLICIES[name]!;
    const input = { purpose: "strategy", state: {}, params: policyParams(name, raw) };
    expect(policy.act!({ ...input, rng: new Rng(1) })).toEqual(
      parseStrategy(policy.decide({ ...input, rng: new Rng(1) })),
    );
  });
});

describe("mutate", () => {
  const cases: [string, Params][] = [
    ["constant", { fraction: 0.5 }],
    ["tit-for-tat", { initial: 0.95 }],
    ["image-scoring", { threshold: 0.05, fraction: 0.5, punish: 0.99 }],
    ["random", { min: 0.2, max: 0.8 }],
  ];

  it.each(cases)("%s: keeps parameters in [0, 1] and does mutate at rate 1", (name, params) => {
    const mutate = DONOR_POLICIES[name]!.mutate!;
    let changed = 0;
    for (let seed = 0; seed < 100; seed++) {
      const out = mutate(params, new Rng(seed, ["selection"]), { rate: 1, sd: 0.3 });
      expect(Object.keys(out).sort()).toEqual(Object.keys(params).sort());
      for (const value of Object.values(out)) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      if (JSON.stringify(out) !== JSON.stringify(params)) changed++;
    }
    expect(changed).toBeGreaterThan(90);
  });

  it.each(cases)(
    "%s: same rng path gives the same result; rate 0 changes nothing",
    (name, params) => {
      const mutate = DONOR_POLICIES[name]!.mutate!;
      for (let seed = 0; seed < 20; seed++) {
        expect(mutate(params, new Rng(seed, ["selection", 1]), { rate: 0.5, sd: 0.1 })).toEqual(
          mutate(params, new Rng(seed, ["selection", 1]), { rate: 0.5, sd: 0.1 }),
        );
        expect(mutate(params, new Rng(seed), { rate: 0, sd: 5 })).toEqual(params);
      }
      // Different streams give different mutations.
      const outs = new Set(
        Array.from({ length: 20 }, (_, seed) =>
          JSON.stringify(mutate(params, new Rng(seed), { rate: 1, sd: 0.1 })),
        ),
      );
      expect(outs.size).toBeGreaterThan(15);
    },
  );

  it("defect has no numeric parameters to mutate", () => {
    expect(DONOR_POLICIES.defect!.mutate!({}, new Rng(1), { rate: 1, sd: 1 })).toEqual({});
  });

  // Fails because of a bug in scenarios/donor-game/policies.ts: mutate() moves min and max
  // independently, then paramsSchema.parse() rejects min > max ("min <= max") and throws.
  it("random: a mutated range stays a valid range (min <= max) and never throws", () => {
    const mutate = DONOR_POLICIES.random!.mutate!;
    for (let seed = 0; seed < 100; seed++) {
      const out = mutate({ min: 0.5, max: 0.5 }, new Rng(seed), { rate: 1, sd: 0.1 }) as {
        min: number;
        max: number;
      };
      expect(out.min).toBeLessThanOrEqual(out.max);
    }
  });
});

describe("through the engine", () => {
  const dir = scratch();
  afterAll(dir.cleanup);

  it("tit-for-tat donors copy the recipient's latest act: 0 to a defector that has defected", async () => {
    const run = await runDonor(dir.root, {
      seed: 3,
      minds: [
        { count: 6, policy: "tit-for-tat", initial: 1 },
        { count: 6, policy: "defect" },
      ],
    });
    const tft = new Set(["g1-a1", "g1-a2", "g1-a3", "g1-a4", "g1-a5", "g1-a6"]);
    const acts = interactions(run.events);
    expect(acts).toHaveLength(2 * 12 * 6);
    let checked = 0;
    let zeroToDefector = 0;
    let initialToDefector = 0;
    for (const act of acts.filter((a) => tft.has(a.from))) {
      const previous = acts
        .filter((a) => a.game === act.game && a.from === act.to && a.round < act.round)
        .at(-1);
      const want =
        act.data.donorBefore === 0
          ? 0
          : previous === undefined
            ? 1
            : previous.kind === "donation"
              ? previous.data.fraction
              : 0;
      expect(act.data.fraction).toBeCloseTo(want, 9);
      checked++;
      if (!tft.has(act.to) && previous !== undefined) {
        expect(previous.data.fraction).toBe(0);
        expect(act.data.fraction).toBe(0);
        expect(act.data.amount).toBe(0);
        zeroToDefector++;
      }
      if (!tft.has(act.to) && previous === undefined) initialToDefector++;
    }
    expect(checked).toBe(2 * 12 * 3);
    expect(zeroToDefector).toBeGreaterThan(0);
    // A defector that has not acted yet still gets the initial gift.
    expect(initialToDefector).toBeGreaterThan(0);
    // Defectors give nothing, ever.
    for (const act of acts.filter((a) => !tft.has(a.from))) expect(act.data.amount).toBe(0);
  });

  // Fails because of the random-policy mutate bug above: the generation-1 newborns' mutation
  // throws inside endGeneration and the run ends "failed" instead of completing.
  it("a random-policy population with mutation completes a second generation", async () => {
    await expect(
      runDonor(dir.root, {
        generations: 2,
        minds: [{ count: 4, policy: "random", min: 0.5, max: 0.5 }],
        donorGame: { policyMutation: { rate: 1, sd: 0.2 }, rounds: 4 },
      }),
    ).resolves.toMatchObject({ result: { status: "completed" } });
  });
});
