import { describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { slotSetups } from "../setup.js";
import { transmissionConfigSchema } from "../config.js";
import { TRANSMISSION_POLICIES, type TextState } from "../policies.js";
import { resolveConfig } from "../../../sim/core/config.js";
import { Rng } from "../../../sim/core/rng.js";

const SCENARIOS = await builtinScenarios();

const config = (transmission: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  scenario: "transmission",
  generations: 3,
  population: { size: 6, minds: [{ count: 6, policy: "text-operators" }] },
  transmission,
  ...extra,
});
const resolve = (transmission: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  resolveConfig(config(transmission, extra), SCENARIOS);

describe("transmission config", () => {
  it("fills LLM-Culture's defaults", () => {
    const section = resolve({}).config.transmission;
    expect(section).toMatchObject({
      mode: "network",
      initial: "story",
      transformation: "combine",
      layout: "agora",
      persona: "neutral",
      inputOrder: "slot",
    });
  });

  it.each([
    [
      { transformation: "combin" },
      /^transmission\.transformation: got "combin", expected a name \(.*combine/,
    ],
    [{ persona: "creativ" }, /^transmission\.persona: got "creativ", expected a persona name/],
    [
      {
        groups: [
          { name: "a", size: 2 },
          { name: "b", size: 3 },
        ],
      },
      /^transmission\.groups: got \[2,3\], expected group sizes adding up to population\.size \(6\)/,
    ],
    [
      { groups: [{ name: "a", size: 6, initial: "nope" }] },
      /^transmission\.groups\.0\.initial: got "nope"/,
    ],
    [
      { personaList: ["creative"] },
      /^transmission\.personaList: got "1 personas", expected one persona per agent \(6\)/,
    ],
    [
      { mode: "chain", seeds: ["A seed text.", "Another one."], chains: 3 },
      /^transmission\.chains: got 3, expected one chain per seed text \(2 seeds\)/,
    ],
    [
      { mode: "chain", chains: 4 },
      /^population\.size: got 6, expected a multiple of the number of chains \(4\)/,
    ],
    [{ mode: "chain", chains: 3 }, /^generations: got 3, expected at most the chain length 2/],
    [
      { mode: "chain", socialLearning: { memory: true } },
      /^transmission\.socialLearning: .*no social-learning options in chain mode/,
    ],
    [{ seeds: ["A seed."] }, /^transmission\.seeds: .*nothing in network mode/],
    [
      { socialLearning: { sample: 2, prestige: { by: "degree", k: 2 } } },
      /^transmission\.socialLearning: .*either sample or prestige/,
    ],
    [{ socialLearning: { turnover: 1.5 } }, /^transmission\.socialLearning\.turnover: got 1\.5/],
    [
      { metrics: { embeddings: "nowhere" } },
      /^transmission\.metrics\.embeddings: got "nowhere", expected a profile/,
    ],
  ])("rejects %j with an error naming the field", (section, message) => {
    expect(() => resolve(section)).toThrow(message);
  });

  it("chain mode requires the graph to be the chains (it reads no other)", () => {
    const chains = { mode: "chain", chains: 2 };
    expect(() => resolve(chains)).toThrow(
      /^graph\.type: got "complete", expected paths \(graph: \{ type: paths, count: 2 \}\) in chain mode/,
    );
    expect(() => resolve(chains, { graph: { type: "paths", count: 3 } })).toThrow(
      /^graph\.count: got 3, expected the number of chains \(2\)/,
    );
    expect(() =>
      resolve(chains, { graph: { type: "llm-culture", structure: "sequence" } }),
    ).toThrow(/^graph\.type: got "llm-culture"/);
    expect(resolve(chains, { graph: { type: "paths", count: 2 } }).config.graph).toEqual({
      type: "paths",
      count: 2,
    });
    // One chain: the directed chain and LLM-Culture's sequence have the same edges.
    for (const graph of [
      { type: "paths" },
      { type: "chain" },
      { type: "llm-culture", structure: "sequence" },
    ])
      expect(() => resolve({ mode: "chain" }, { graph, generations: 3 })).not.toThrow();
    expect(() => resolve({ mode: "chain" }, { graph: { type: "chain", directed: false } })).toThrow(
      /^graph\.type: got "chain"/,
    );
  });

  it("resolves personas and prompts per slot: personaList over groups over defaults, custom names over the library", () => {
    const section = transmissionConfigSchema.parse({
      persona: "creative",
      personas: { pirate: "You are a pirate." },
      transformations: { shout: "Shout the {{count}} stories back." },
      groups: [
        { name: "g1", size: 2, persona: "pirate", transformation: "shout" },
        { name: "g2", size: 2, transformation: "Write something new from these." },
      ],
      personaList: ["not-creative", "pirate", "Any text at all.", "creative"],
    });
    const setups = slotSetups(section, 4);
    expect(
      setups.map((s) => [
        s.persona.name,
        s.persona.text.slice(0, 20),
        s.group,
        s.transformation.name,
      ]),
    ).toEqual([
      ["not-creative", "For what follows, pr", "g1", "shout"],
      ["pirate", "You are a pirate.", "g1", "shout"],
      [null, "Any text at all.", "g2", "inline"],
      ["creative", "For what follows, pr", "g2", "inline"],
    ]);
  });
});

describe("text-operator policy", () => {
  const policy = TRANSMISSION_POLICIES["text-operators"]!;
  const decide = (state: TextState, params: Record<string, unknown>, seed = 1) =>
    policy.decide({
      purpose: "text",
      state,
      params: policy.paramsSchema.parse(params) as Record<string, unknown>,
      rng: new Rng(seed),
    });
  const input = (text: string) => ({ agentId: "x", text, own: false });

  it("is deterministic per stream and writes generation-1 texts from its corpus", () => {
    expect(decide({ inputs: [] }, {})).toBe(decide({ inputs: [] }, {}));
    expect(decide({ inputs: [] }, {}, 1)).not.toBe(decide({ inputs: [] }, {}, 2));
  });

  it("with every operator at 0 and no mixing, repeats a received text", () => {
    const zero = {
      wordDrop: 0,
      wordSwap: 0,
      wordDuplicate: 0,
      wordInsert: 0,
      sentenceDrop: 0,
      sentenceSwap: 0,
      sentenceDuplicate: 0,
      sentenceInsert: 0,
      mix: 0,
    };
    const text = "One sentence here. Two sentences there.";
    expect(decide({ inputs: [input(text)] }, zero)).toBe(text);
  });

  it("mixing takes sentences from the received texts only, position by position", () => {
    const quiet = {
      wordDrop: 0,
      wordSwap: 0,
      wordDuplicate: 0,
      wordInsert: 0,
      sentenceDrop: 0,
      sentenceSwap: 0,
      sentenceDuplicate: 0,
      sentenceInsert: 0,
      mix: 1,
    };
    const a = "A one. A two. A three.";
    const b = "B one. B two. B three.";
    for (let seed = 0; seed < 20; seed++) {
      const out = decide({ inputs: [input(a), input(b)] }, quiet, seed).split(/(?<=\.)\s+/);
      expect(out.map((s, i) => s.endsWith(["one.", "two.", "three."][i]!))).toEqual([
        true,
        true,
        true,
      ]);
    }
  });

  it("drifts to the attractor with strength 1", () => {
    const attractor = "The attractor speaks. It always wins.";
    const quiet = {
      wordDrop: 0,
      wordSwap: 0,
      wordDuplicate: 0,
      wordInsert: 0,
      sentenceDrop: 0,
      sentenceSwap: 0,
      sentenceDuplicate: 0,
      sentenceInsert: 0,
    };
    expect(
      decide(
        { inputs: [input("Something else entirely. Not at all.")] },
        { ...quiet, attractor, strength: 1 },
      ),
    ).toBe(attractor);
  });
});
