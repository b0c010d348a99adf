/** The offline policies: what each contributes, that their answers parse, and how they mutate. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../sim/index.js";
import { parseContribution } from "./answers.js";
import { PUBLIC_GOODS_POLICIES, type ContributionState } from "./policies.js";

const state = (previous: ContributionState["previous"] = null): ContributionState => ({
  endowment: 20,
  round: previous ? 2 : 1,
  neighbours: 2,
  previous,
});

/** What a policy contributes, read back through the scenario's parser as an LLM answer would be. */
function contribution(
  policy: string,
  params: Record<string, unknown>,
  s: ContributionState,
  rng = new Rng(1),
): number {
  const definition = PUBLIC_GOODS_POLICIES[policy]!;
  const text = definition.decide({
    purpose: "contribution",
    state: s,
    params: definition.paramsSchema.parse(params),
    rng,
  });
  const outcome = parseContribution(text, { endowment: s.endowment, outOfRange: "reject" });
  if (!outcome.ok) throw new Error(outcome.reason);
  return outcome.amount;
}

describe("policies", () => {
  it("always contributes its fraction; free riders nothing", () => {
    expect(contribution("always", {}, state())).toBe(10);
    expect(contribution("always", { fraction: 0.8 }, state({ own: 16, neighbours: [0, 0] }))).toBe(
      16,
    );
    expect(contribution("free-rider", {}, state())).toBe(0);
  });

  it("conditional cooperators start at their initial fraction, then match their neighbours' average", () => {
    expect(contribution("conditional", {}, state())).toBe(20);
    expect(contribution("conditional", { initial: 0.25 }, state())).toBe(5);
    expect(contribution("conditional", {}, state({ own: 20, neighbours: [4, 10] }))).toBeCloseTo(
      7,
      9,
    );
    // No neighbours to match: keep the initial fraction.
    expect(
      contribution(
        "conditional",
        { initial: 0.5 },
        { ...state({ own: 3, neighbours: [] }), neighbours: 0 },
      ),
    ).toBe(10);
  });

  it("random draws within its bounds from the seeded stream it is given", () => {
    const draws = [1, 2, 3].map((seed) =>
      contribution("random", { min: 0.2, max: 0.4 }, state(), new Rng(seed)),
    );
    for (const d of draws) expect(d >= 4 && d <= 8).toBe(true);
    expect(
      draws.map((_, i) => contribution("random", { min: 0.2, max: 0.4 }, state(), new Rng(i + 1))),
    ).toEqual(draws);
    expect(new Set(draws).size).toBe(3);
  });

  it("describes itself where an LLM would state a strategy", () => {
    expect(
      PUBLIC_GOODS_POLICIES.always!.decide({
        purpose: "strategy",
        state: null,
        params: { fraction: 0.5 },
        rng: new Rng(1),
      }),
    ).toBe("Contribute 50% of the endowment every round.");
  });

  it("mutates parameters within [0, 1], keeping min <= max", () => {
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const { min, max } = PUBLIC_GOODS_POLICIES.random!.mutate!({ min: 0.45, max: 0.55 }, rng, {
        rate: 1,
        sd: 0.5,
      }) as { min: number; max: number };
      expect(0 <= min && min <= max && max <= 1).toBe(true);
    }
    expect(
      PUBLIC_GOODS_POLICIES.always!.mutate!({ fraction: 0.5 }, rng, { rate: 0, sd: 0.5 }),
    ).toEqual({ fraction: 0.5 });
  });

  it("lists a policy that needs no parameters first (it stands in for LLM minds in dry runs)", () => {
    const [first] = Object.entries(PUBLIC_GOODS_POLICIES)[0]!;
    expect(first).toBe("always");
    expect(PUBLIC_GOODS_POLICIES.always!.paramsSchema.safeParse({}).success).toBe(true);
  });
});

describe("the fast path (act)", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["always", { fraction: 0.37 }],
    ["conditional", { initial: 0.9 }],
    ["free-rider", {}],
    ["random", { min: 0.1, max: 0.9 }],
  ];
  // Endowments that do not survive 9 decimals, and 1e22, written with an exponent.
  const endowments = [20, 0.1 + 0.2, 1 / 3, 1e22];
  const previous = [null, { own: 1, neighbours: [] }, { own: 1, neighbours: [0.1, 0.2, 7] }];

  it.each(cases)("%s %j: the value the parser reads from the policy's text", (name, raw) => {
    const policy = PUBLIC_GOODS_POLICIES[name]!;
    let compared = 0;
    for (const endowment of endowments)
      for (const p of previous) {
        const s: ContributionState = { endowment, round: 2, neighbours: 3, previous: p };
        const input = { purpose: "contribution", state: s, params: policy.paramsSchema.parse(raw) };
        const text = policy.decide({ ...input, rng: new Rng(4, ["fast", compared]) });
        const read = parseContribution(text, { endowment, outOfRange: "reject" });
        expect(policy.act!({ ...input, rng: new Rng(4, ["fast", compared]) })).toEqual(read);
        compared++;
      }
  });

  it("answers contributions only: the scenario asks for nothing else", () => {
    const policy = PUBLIC_GOODS_POLICIES.always!;
    expect(() =>
      policy.act!({ purpose: "strategy", state: {}, params: { fraction: 1 }, rng: new Rng(1) }),
    ).toThrow('a public-goods policy answers contributions, not "strategy"');
  });
});
