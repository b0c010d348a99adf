import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clusterCount } from "../metrics/diversity.js";
import { generationTextMetrics, likelyParents, type AuthoredText } from "../metrics/index.js";
import { cosinesToOthers, generationSimilarity } from "../metrics/similarity.js";
import {
  cosine,
  termCounts,
  TfidfModel,
  type SparseVector,
  type StopWords,
} from "../metrics/tfidf.js";
import { ENGLISH_STOP_WORDS } from "../metrics/stop-words.js";
import { readText } from "../answers.js";
import { TRANSMISSION_POLICIES, type TextState } from "../policies.js";
import { Rng } from "../../../sim/core/rng.js";
import { ROOT } from "../../../tests/support/llm-helpers.js";

/**
 * The metrics' all-pairs definitions, pair by pair as the scenario computed them before its linear
 * forms (kept here only, as the reference).
 */
function allPairs(
  generations: readonly (readonly string[])[],
  seeds: readonly string[],
  stopWords: StopWords,
  thresholds: readonly number[],
) {
  const model = TfidfModel.fit([...generations.flat(), ...seeds], stopWords);
  const vectors = generations.map((gen) => gen.map((t) => model.transform(t)));
  const current = vectors.at(-1)!;
  const n = current.length;
  let distinct = 0;
  let self = 0;
  for (let i = 0; i < n; i++) {
    self += cosine(current[i]!, current[i]!);
    for (let j = i + 1; j < n; j++) distinct += cosine(current[i]!, current[j]!);
  }
  const cross = (bs: readonly SparseVector[]) => {
    if (n === 0 || bs.length === 0) return null;
    let total = 0;
    for (const a of current) for (const b of bs) total += cosine(a, b);
    return total / (n * bs.length);
  };
  const clusters = (threshold: number) => {
    const parent = current.map((_, i) => i);
    const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
    let count = n;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        if (cosine(current[i]!, current[j]!) < threshold) continue;
        const [a, b] = [root(i), root(j)];
        if (a !== b) [parent[a], count] = [b, count - 1];
      }
    return count;
  };
  const start = (seeds.length > 0 ? seeds : generations[0]!).map((t) => model.transform(t));
  return {
    within: n < 2 ? null : distinct / ((n * (n - 1)) / 2),
    withinSelf: n === 0 ? null : (2 * distinct + self) / (n * n),
    toGeneration: vectors.map((gen, k) =>
      k === vectors.length - 1 ? (n === 0 ? null : (2 * distinct + self) / (n * n)) : cross(gen),
    ),
    clusters: thresholds.map(clusters),
    /** Per text i with an i-th start text (the same agent's or chain's): 1 − their cosine. */
    change: current.slice(0, start.length).map((v, i) => 1 - cosine(v, start[i]!)),
  };
}

/** Zipf-like word draws from a made-up vocabulary plus stop words, so frequent terms abound. */
function randomTexts(rng: Rng, count: number, vocabulary: number): string[] {
  const stop = [...ENGLISH_STOP_WORDS].slice(0, 40);
  const word = () => {
    if (rng.bool(0.3)) return rng.pick(stop);
    const rank = Math.floor(vocabulary ** rng.float()) - 1;
    return `w${rank.toString(36)}`;
  };
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.float();
    if (kind < 0.04)
      texts.push("the and of it"); // stop words only: the zero vector
    else if (kind < 0.08 && texts.length > 0)
      texts.push(rng.pick(texts)); // a duplicate
    else texts.push(Array.from({ length: rng.int(1, 40) }, word).join(" "));
  }
  return texts;
}

/** Real prose: the paragraphs of this scenario's README and the LLM-Culture fixtures' stories. */
function realTexts(): string[] {
  const readme = readFileSync(join(ROOT, "scenarios", "transmission", "README.md"), "utf8");
  const stories = ["network-cycle4.json", "sequence-path4.json"].flatMap((file) =>
    (
      JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "llm-culture", file), "utf8")) as {
        stories: string[][];
      }
    ).stories.flat(),
  );
  return [...readme.split(/\n\s*\n/).map((p) => p.trim()), ...stories].filter(Boolean);
}

const THRESHOLDS = [0, 0.02, 0.1, 0.25, 0.5, 0.75, 0.95, 1.01];

/** The i-th text of every generation is the same agent's (its lineage). */
const authored = (texts: readonly string[]): AuthoredText[] =>
  texts.map((text, i) => ({ agentId: `g1-a${i + 1}`, text }));

function expectClose(actual: number | null | undefined, expected: number | null, label: string) {
  if (expected === null) expect(actual, label).toBeNull();
  else
    expect(Math.abs(actual! - expected), `${label}: ${actual} vs ${expected}`).toBeLessThan(1e-12);
}

async function compare(generations: string[][], stopWords: StopWords, seeds: string[] = []) {
  const reference = allPairs(generations, seeds, stopWords, THRESHOLDS);
  const g = generations.length;
  const metrics = await generationTextMetrics({
    generation: g,
    texts: authored(generations[g - 1]!).map((t, i) => (seeds.length > 0 ? { ...t, chain: i } : t)),
    history: generations
      .slice(0, -1)
      .map((gen) => authored(gen).map((t, i) => (seeds.length > 0 ? { ...t, chain: i } : t))),
    options: {
      stopWords,
      reference: "agora",
      clusterThreshold: 0.5,
      attractorGeneration: 2,
      bootstrapSamples: 0,
      spreadOrigins: 100,
    },
    ...(seeds.length > 0
      ? { initial: seeds.map((text, chain) => ({ agentId: `seed-${chain}`, text, chain })) }
      : {}),
  });
  expectClose(metrics.similarityWithin, reference.within, "similarityWithin");
  expectClose(metrics.similarityWithinSelf, reference.withinSelf, "similarityWithinSelf");
  reference.toGeneration.forEach((value, k) =>
    expectClose(metrics[`similarityToGen${k + 1}`], value, `similarityToGen${k + 1}`),
  );
  if (g > 1) {
    expectClose(metrics.similarityPrevious, reference.toGeneration[g - 2]!, "similarityPrevious");
    expectClose(metrics.similarityFirst, reference.toGeneration[0]!, "similarityFirst");
  }
  const change = reference.change.map((c, i) =>
    generations[g - 1]![i] === (seeds.length > 0 ? seeds : generations[0]!)[i] ? 0 : c,
  );
  expectClose(
    metrics.cumulativeChange,
    change.length === 0 ? null : change.reduce((a, b) => a + b, 0) / change.length,
    "cumulativeChange",
  );
  // clusterCount on the same fit's vectors, at every threshold.
  const { current } = generationSimilarity(generations, seeds, stopWords);
  expect(THRESHOLDS.map((t) => clusterCount(current, t))).toEqual(reference.clusters);
  expect(metrics.clusters).toBe(
    generations[g - 1]!.length === 0 ? null : reference.clusters[THRESHOLDS.indexOf(0.5)],
  );
}

describe("linear-time similarity metrics equal the all-pairs definitions", () => {
  it("on random texts (frequent terms, zero vectors, duplicates), both stop-word settings", async () => {
    const rng = new Rng(11, ["scale-test"]);
    for (const stopWords of ["english", "none"] as const)
      for (const sizes of [[1], [2], [150], [60, 0, 80], [40, 70, 120, 90]]) {
        const generations = sizes.map((n) => randomTexts(rng, n, 400));
        await compare(generations, stopWords);
      }
  });

  it("on real prose (this README's paragraphs, LLM-Culture's stories), network and chains", async () => {
    const texts = realTexts();
    expect(texts.length).toBeGreaterThan(80);
    const third = Math.floor(texts.length / 3);
    const generations = [
      texts.slice(0, third),
      texts.slice(third, 2 * third),
      texts.slice(2 * third),
    ];
    await compare(generations, "english");
    await compare(generations, "none");
    // Chain mode: seed texts join the fit and are the lineages' starts.
    const chains = 12;
    await compare(
      [texts.slice(0, chains), texts.slice(chains, 2 * chains)],
      "english",
      texts.slice(-chains),
    );
  });

  it("gives exactly 0 for texts sharing no term, and 1 for a generation of identical texts", async () => {
    const disjoint = await generationTextMetrics({
      generation: 1,
      texts: authored(["red apple pie", "blue whale song", "green tart", "the of and"]),
      history: [],
      options: {
        stopWords: "english",
        reference: "agora",
        clusterThreshold: 0.5,
        attractorGeneration: 2,
        bootstrapSamples: 0,
        spreadOrigins: 100,
      },
    });
    expect(disjoint.similarityWithin).toBe(0);
    expect(disjoint.clusters).toBe(4);
    const same = Array.from({ length: 500 }, () => "The fox and the hound were friends.");
    const identical = await generationTextMetrics({
      generation: 1,
      texts: authored(same),
      history: [],
      options: {
        stopWords: "english",
        reference: "agora",
        clusterThreshold: 0.5,
        attractorGeneration: 2,
        bootstrapSamples: 0,
        spreadOrigins: 100,
      },
    });
    expect(identical.similarityWithin).toBeCloseTo(1, 12);
    expect(identical.clusters).toBe(1);
  });
});

describe("conformity's most typical text through sums", () => {
  it("scores each text by its summed cosine to the others as pair by pair, to 1e-12", () => {
    const rng = new Rng(17, ["conformity"]);
    for (const n of [3, 10, 200]) {
      const texts = randomTexts(rng, n, 150);
      const model = TfidfModel.fit(texts, "english");
      const maps = texts.map((t) => model.transform(t));
      const reference = maps.map((v, i) =>
        maps.reduce((s, w, j) => (i === j ? s : s + cosine(v, w)), 0),
      );
      const scores = cosinesToOthers(generationSimilarity([texts], [], "english").current);
      scores.forEach((score, i) => expect(Math.abs(score - reference[i]!)).toBeLessThan(1e-12));
    }
  });
});

describe("bits independent of what the process tokenised first", () => {
  it("gives the same metrics and parents for two renamings of the same texts, interned in opposite orders", async () => {
    const rng = new Rng(3, ["renaming"]);
    const shape = [randomTexts(rng, 30, 200), randomTexts(rng, 30, 200)];
    // Words this test alone uses, so their ids are assigned here: forwards for one renaming,
    // backwards for the other.
    const rename = (prefix: string) =>
      shape.map((gen) => gen.map((t) => t.replace(/\bw(\w+)/g, `${prefix}$1`)));
    const [x, y] = [rename("renamedxq"), rename("renamedyq")];
    for (const t of x.flat()) termCounts(t, "english");
    for (const t of [...y.flat()].reverse()) termCounts(t, "english");
    const run = async (gens: string[][]) => ({
      metrics: await generationTextMetrics({
        generation: 2,
        texts: authored(gens[1]!),
        history: [authored(gens[0]!)],
        options: {
          stopWords: "english",
          reference: "agora",
          clusterThreshold: 0.3,
          attractorGeneration: 2,
          bootstrapSamples: 0,
          spreadOrigins: 100,
        },
      }),
      parents: likelyParents(authored(gens[1]!), authored(gens[0]!), { stopWords: "english" }),
    });
    expect(await run(y)).toEqual(await run(x));
  });
});

describe("text-operators' fast path", () => {
  const policy = TRANSMISSION_POLICIES["text-operators"]!;

  it("acts exactly as the text path reads, drawing the same random numbers", () => {
    expect(policy.act).toBeDefined();
    const prose = realTexts();
    const rng = new Rng(5, ["states"]);
    const paramSets = [
      {},
      { mix: 0, attractor: "A kind friend. A sunny garden!", strength: 0.4 },
      { wordDrop: 0.3, wordSwap: 0.2, wordInsert: 0.2, sentenceDrop: 0.5, sentences: 2 },
    ].map((p) => policy.paramsSchema.parse(p) as Record<string, unknown>);
    for (let k = 0; k < 300; k++) {
      const count = rng.int(0, 4);
      const state: TextState = {
        inputs: Array.from({ length: count }, (_, i) => ({
          agentId: `a${i}`,
          text: rng.bool(0.1) ? "   " : rng.pick(prose),
          own: i === 0 && rng.bool(0.3),
        })),
      };
      const params = paramSets[k % paramSets.length]!;
      const [textRng, actRng] = [new Rng(k, ["mind"]), new Rng(k, ["mind"])];
      const text = policy.decide({ purpose: "text", state, params, rng: textRng });
      const value = policy.act!({ purpose: "text", state, params, rng: actRng });
      expect(value).toEqual(readText(text, false));
      expect(actRng.float()).toBe(textRng.float());
    }
  });
});
