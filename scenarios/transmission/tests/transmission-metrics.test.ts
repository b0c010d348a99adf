import { describe, expect, it } from "vitest";
import { ResponseCache } from "../../../agents/response-cache.js";
import { attractor, bootstrapAttractor, linearFit } from "../metrics/attractors.js";
import { clusterCount } from "../metrics/diversity.js";
import { createEmbedder, embedderFor } from "../metrics/embeddings.js";
import {
  betweenGenerationMatrix,
  DEFAULT_TEXT_METRICS_OPTIONS,
  generationTextMetrics,
  likelyParents,
  textMetricsOptionsSchema,
  type AuthoredText,
} from "../metrics/index.js";
import { gunningFog, sentences, words } from "../metrics/readability.js";
import { generationSimilarity } from "../metrics/similarity.js";
import { positivity } from "../metrics/sentiment.js";
import { ENGLISH_STOP_WORDS } from "../metrics/stop-words.js";
import { cosine, TfidfModel, tfidfVectors, tokenize } from "../metrics/tfidf.js";
import { agentId } from "../../../sim/core/ids.js";
import { Rng } from "../../../sim/core/rng.js";
import { fakeEmbedding, startFakeOpenAI } from "../../../tests/support/fake-openai.js";
import { tempDir } from "../../../tests/support/llm-helpers.js";

const options = DEFAULT_TEXT_METRICS_OPTIONS;
const authored = (texts: readonly string[], extra: Partial<AuthoredText> = {}): AuthoredText[] =>
  texts.map((text, i) => ({ agentId: agentId(1, i + 1), text, ...extra }));

const DOCS = [
  "The cat sat on the mat.",
  "The dog sat on the log, the dog!",
  "Cats and dogs: a cat, a dog.",
];
// A second generation for the generation-level checks.
const GEN2 = [
  "A cat and a dog sat together on the mat.",
  "The log was where the dog slept.",
  "Birds sing in the morning.",
];

describe("TF-IDF as scikit-learn's TfidfVectorizer", () => {
  it("tokenises like (?u)\\b\\w\\w+\\b on lowercased text", () => {
    // Expected list from Python: re.findall(r"(?u)\b\w\w+\b", text.lower()).
    expect(tokenize("Don't STOP-me now_ok 42 a x1 é café naïve 3.14", "none")).toEqual([
      "don",
      "stop",
      "me",
      "now_ok",
      "42",
      "x1",
      "café",
      "naïve",
      "14",
    ]);
    expect(tokenize("The cat and THE dog", "english")).toEqual(["cat", "dog"]);
  });

  it("uses sklearn's English stop-word list", () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(318);
    for (const w of ["a", "amongst", "yourselves", "whereupon", "co", "bill", "fire"])
      expect(ENGLISH_STOP_WORDS.has(w)).toBe(true);
    // The list's own spellings, as scikit-learn 1.4.0 ships them, are tokens a text can contain.
    for (const w of ["amoungst", "couldnt", "hasnt", "noone"]) {
      expect(ENGLISH_STOP_WORDS.has(w)).toBe(true);
      expect(tokenize(`the ${w} cat`, "english")).toEqual(["cat"]);
    }
    for (const w of ["cat", "story", "king"]) expect(ENGLISH_STOP_WORDS.has(w)).toBe(false);
  });

  it("matches the smooth-idf, L2-normalised vectors worked out by hand", () => {
    // With stop words: d1 = {cat, sat, mat}, d2 = {dog×2, sat, log}, d3 = {cats, dogs, cat, dog}.
    // idf = ln((1+3)/(1+df)) + 1: a = ln(4/3)+1 for df = 2 (cat, dog, sat), b = ln(2)+1 for df = 1.
    const a = Math.log(4 / 3) + 1;
    const b = Math.log(2) + 1;
    const model = TfidfModel.fit(DOCS, "english");
    expect(model.idf[model.vocabulary.get("cat")!]).toBeCloseTo(a, 14);
    expect(model.idf[model.vocabulary.get("mat")!]).toBeCloseTo(b, 14);
    const [v1, v2, v3] = tfidfVectors(DOCS, "english") as [
      Map<number, number>,
      Map<number, number>,
      Map<number, number>,
    ];
    const n1 = 2 * a * a + b * b; // |d1|²: cat, sat (a) and mat (b)
    const n2 = 5 * a * a + b * b; // |d2|²: dog counted twice (2a)², sat a², log b²
    const n3 = 2 * a * a + 2 * b * b; // |d3|²: cat, dog (a) and cats, dogs (b)
    expect(cosine(v1, v2)).toBeCloseTo((a * a) / Math.sqrt(n1 * n2), 14); // shared: sat
    expect(cosine(v1, v3)).toBeCloseTo((a * a) / Math.sqrt(n1 * n3), 14); // shared: cat
    // shared: dog (2 in d2)
    expect(cosine(v2, v3)).toBeCloseTo((2 * a * a) / Math.sqrt(n2 * n3), 14);
    expect(cosine(v1, v1)).toBeCloseTo(1, 14);
    // The same numbers from numpy with Python's re (sklearn's formula written out, see the comment
    // above).
    expect([cosine(v1, v2), cosine(v1, v3), cosine(v2, v3)].map((x) => +x.toFixed(12))).toEqual([
      0.199635045756, 0.221666257259, 0.330025994201,
    ]);
  });

  it("keeps stop words with stopWords: none (values from numpy)", () => {
    const [v1, v2, v3] = tfidfVectors(DOCS, "none") as [
      Map<number, number>,
      Map<number, number>,
      Map<number, number>,
    ];
    expect(cosine(v1, v2)).toBeCloseTo(0.6620277533416006, 12);
    expect(cosine(v1, v3)).toBeCloseTo(0.12625670406165873, 12);
    expect(cosine(v2, v3)).toBeCloseTo(0.18240242867723874, 12);
  });

  it("gives a text of stop words only the zero vector and cosine 0", () => {
    const [v1, v2] = tfidfVectors(["the and of", "the cat"], "english") as [
      Map<number, number>,
      Map<number, number>,
    ];
    expect(v1.size).toBe(0);
    expect(cosine(v1, v2)).toBe(0);
  });
});

describe("generation metrics", () => {
  // Expected values: numpy on sklearn's formula, one vectorizer fitted on generations 1 and 2.
  it("within, self-including, previous, first, heatmap, diversity, cumulative change", async () => {
    const g1 = authored(DOCS);
    const m1 = await generationTextMetrics({ generation: 1, texts: g1, history: [], options });
    expect(m1.similarityWithin).toBeCloseTo(0.25044243240532627, 12);
    expect(m1.similarityWithinSelf).toBeCloseTo(0.5002949549368841, 12);
    expect(m1.similarityPrevious).toBeNull();
    expect(m1.similarityFirst).toBeNull();
    expect(m1.cumulativeChange).toBe(0);

    const m2 = await generationTextMetrics({
      generation: 2,
      texts: authored(GEN2),
      history: [g1],
      options,
    });
    expect(m2.similarityWithin).toBeCloseTo(0.05855489957816706, 12);
    expect(m2.similarityWithinSelf).toBeCloseTo(0.37236993305211136, 12);
    expect(m2.similarityPrevious).toBeCloseTo(0.28162152149786174, 12);
    expect(m2.similarityFirst).toBeCloseTo(0.28162152149786174, 12);
    expect(m2.similarityToGen1).toBeCloseTo(0.28162152149786174, 12);
    expect(m2.similarityToGen2).toBeCloseTo(0.37236993305211136, 12);
    expect(m2.diversity).toBeCloseTo(0.9414451004218329, 12);
    // Agents g1-a1..g1-a3 against their own generation-1 texts.
    expect(m2.cumulativeChange).toBeCloseTo(0.4961452964638828, 12);
    expect(m2).not.toHaveProperty("embeddingWithin");
    expect(m2).not.toHaveProperty("attractorWordsSlope");
  });

  it("reproduces LLM-Culture's between-generation matrix (one fit over the whole run, self-pairs on the diagonal)", () => {
    const matrix = betweenGenerationMatrix([DOCS, GEN2], "english");
    // differs from 0.5003 fitted on generation 1 alone
    expect(matrix[0]![0]).toBeCloseTo(0.49313528325406275, 12);
    expect(matrix[0]![1]).toBeCloseTo(0.28162152149786174, 12);
    expect(matrix[1]![1]).toBeCloseTo(0.37236993305211136, 12);
  });

  it("counts single-linkage clusters at the threshold", () => {
    const texts = ["red apple pie", "red apple tart", "green apple tart", "blue whale song"];
    const vectors = tfidfVectors(texts, "english");
    const packed = generationSimilarity([texts], [], "english").current;
    const sims = [
      cosine(vectors[0]!, vectors[1]!),
      cosine(vectors[1]!, vectors[2]!),
      cosine(vectors[0]!, vectors[2]!),
    ];
    // Links 0-1 and 1-2 are stronger than 0-2, so a threshold between them chains 0, 1, 2 together.
    const t = (Math.min(sims[0]!, sims[1]!) + sims[2]!) / 2;
    expect(sims[2]).toBeLessThan(t);
    expect(clusterCount(packed, t)).toBe(2);
    expect(clusterCount(packed, 1.01)).toBe(4);
    expect(clusterCount(packed, 0)).toBe(1);
  });

  it("measures positivity with VADER (reference values from VADER's README)", () => {
    expect(positivity("VADER is smart, handsome, and funny.")).toBeCloseTo(0.8316, 4);
    expect(positivity("VADER is not smart, handsome, nor funny.")).toBeCloseTo(-0.7424, 4);
    expect(positivity("The book was kind of good.")).toBeCloseTo(0.3832, 4);
  });

  it("computes Gunning fog, words and sentences as documented", () => {
    // 7 words, 2 sentences, complex: elephant (el-e-phant), bananas (ba-na-nas).
    expect(words("The cat sat. The elephant ate bananas!")).toHaveLength(7);
    expect(sentences("The cat sat. The elephant ate bananas!")).toHaveLength(2);
    expect(gunningFog("The cat sat. The elephant ate bananas!")).toBeCloseTo(
      0.4 * (7 / 2 + (100 * 2) / 7),
      12,
    );
    expect(sentences('He said "stop!" Then he left')).toHaveLength(2);
    expect(words("Don't over-think it")).toEqual(["Don't", "over-think", "it"]);
    expect(gunningFog("...")).toBeNull();
  });

  it("averages lengths in characters and words", async () => {
    const m = await generationTextMetrics({
      generation: 1,
      texts: authored(["one two three", "four five"]),
      history: [],
      options,
    });
    expect(m.chars).toBe((13 + 9) / 2);
    expect(m.words).toBe(2.5);
    expect(m.clusters).toBe(2);
  });

  it("finds each text's likely parent (numpy: argmax of cosines)", () => {
    const parents = likelyParents(
      authored(GEN2),
      authored(DOCS).map((t, i) => ({ ...t, agentId: `p${i}` })),
      options,
    );
    // the last shares no term: ties go to the first
    expect(parents.map((p) => p.parent)).toEqual(["p0", "p1", "p0"]);
    expect(parents[0]!.similarity).toBeCloseTo(0.9069237700583272, 12);
    expect(parents[1]!.similarity).toBeCloseTo(0.6046403405500245, 12);
    expect(parents[2]!.similarity).toBe(0);
  });

  it("validates its options and fills defaults", () => {
    expect(textMetricsOptionsSchema.parse({})).toEqual({
      stopWords: "english",
      reference: "agora",
      clusterThreshold: 0.5,
      attractorGeneration: 2,
      bootstrapSamples: 1000,
      spreadOrigins: 100,
    });
    expect(() => textMetricsOptionsSchema.parse({ stopWords: "french" })).toThrow();
    expect(() => textMetricsOptionsSchema.parse({ spreadOrigins: 0 })).toThrow();
    expect(() => textMetricsOptionsSchema.parse({ clusterThreshold: 2 })).toThrow();
  });
});

describe("attractors", () => {
  // Synthetic chains: final = a + b·initial + small noise, so position = a / (1 - b), strength = 1
  // - |b|.
  const [A, B] = [2, 0.6];
  const synthetic = (n: number, seed: number) => {
    const rng = new Rng(seed, ["synthetic"]);
    const xs = Array.from({ length: n }, () => 10 * rng.float());
    const ys = xs.map((x) => A + B * x + 0.05 * rng.normal());
    return { xs, ys };
  };

  it("recovers intercept, slope, position and strength, with intervals covering the truth", () => {
    const { xs, ys } = synthetic(40, 1);
    const fit = attractor(xs, ys)!;
    expect(fit.intercept).toBeCloseTo(A, 1);
    expect(fit.slope).toBeCloseTo(B, 2);
    expect(fit.position!).toBeCloseTo(A / (1 - B), 1);
    expect(fit.strength).toBeCloseTo(1 - B, 2);
    const ci = bootstrapAttractor(xs, ys, 500, new Rng(7, ["bootstrap"]));
    expect(ci.position!.lo).toBeLessThan(5);
    expect(ci.position!.hi).toBeGreaterThan(5);
    expect(ci.strength!.lo).toBeLessThan(0.4);
    expect(ci.strength!.hi).toBeGreaterThan(0.4);
    expect(ci.position!.hi - ci.position!.lo).toBeLessThan(0.5);
    // Same stream, same intervals.
    expect(bootstrapAttractor(xs, ys, 500, new Rng(7, ["bootstrap"]))).toEqual(ci);
  });

  it("has no attractor without spread in the initial values, nor a position at slope 1", () => {
    expect(linearFit([3, 3, 3], [1, 2, 3])).toBeNull();
    expect(attractor([1, 2, 3], [2, 3, 4])!.position).toBeNull();
  });

  it("estimates chain attractors on text length from generation 1 through generationTextMetrics", async () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
    const initial = [4, 8, 12, 16, 20, 24, 28, 32];
    // Every chain's length moves to 0.5·x + 10: an attractor at 20 words with strength 0.5.
    const g1 = initial.map((n, c) => ({ agentId: `a${c}`, chain: c, text: words(n) }));
    const g2 = initial.map((n, c) => ({ agentId: `b${c}`, chain: c, text: words(0.5 * n + 10) }));
    const m = await generationTextMetrics({
      generation: 2,
      texts: g2,
      history: [g1],
      options: { ...options, bootstrapSamples: 200 },
      rng: new Rng(3),
    });
    expect(m.attractorWordsSlope).toBeCloseTo(0.5, 12);
    expect(m.attractorWordsPosition).toBeCloseTo(20, 10);
    expect(m.attractorWordsStrength).toBeCloseTo(0.5, 12);
    // no noise: every resample finds the same line
    expect(m.attractorWordsPositionLo).toBeCloseTo(20, 8);
    expect(m).toHaveProperty("attractorPositivityPosition");
    const later = await generationTextMetrics({
      generation: 2,
      texts: g2,
      history: [g1],
      options: { ...options, attractorGeneration: 3 },
    });
    expect(later).not.toHaveProperty("attractorWordsSlope");
  });

  it("measures cumulative change along chains from their seed texts", async () => {
    const seeds = [
      { agentId: "seed", chain: 0, text: "alpha beta gamma" },
      { agentId: "seed", chain: 1, text: "delta epsilon zeta" },
    ];
    const texts = [
      { agentId: "x", chain: 0, text: "alpha beta gamma" },
      { agentId: "y", chain: 1, text: "omega psi chi" },
    ];
    const m = await generationTextMetrics({
      generation: 1,
      texts,
      history: [],
      options,
      initial: seeds,
    });
    expect(m.cumulativeChange).toBeCloseTo((0 + 1) / 2, 12);
  });
});

describe("embeddings", () => {
  it("computes embeddingWithin through an OpenAI-compatible endpoint, cached for replay", async () => {
    const fake = await startFakeOpenAI();
    const dir = tempDir("embed");
    try {
      const profile = {
        model: "embed-test",
        baseURL: fake.baseURL,
        apiKeyEnv: "EMBED_KEY",
        timeoutMs: 10_000,
        maxRetries: 0,
        responseFormat: "text" as const,
      };
      const cache = new ResponseCache(dir.path, "read-write");
      const embedder = embedderFor(
        "emb",
        { emb: profile },
        { env: { EMBED_KEY: "sk-embed-secret" }, cache },
      )!;
      const texts = authored(["abc", "abd", "xyz"]);
      const m = await generationTextMetrics({
        generation: 1,
        texts,
        history: [],
        options: { ...options, embeddings: "emb" },
        embedder,
      });
      // Letter counts: abc·abd = 2 over 3, abc·xyz = abd·xyz = 0.
      expect(m.embeddingWithin).toBeCloseTo((2 / 3 + 0 + 0) / 3, 6);
      expect(fake.embeddingRequests).toHaveLength(1);
      expect(fake.embeddingRequests[0]!.model).toBe("embed-test");
      expect(fake.embeddingRequests[0]!.input).toEqual(["abc", "abd", "xyz"]);
      expect(fake.embeddingRequests[0]!.headers.authorization).toBe("Bearer sk-embed-secret");
      expect(JSON.stringify(m)).not.toContain("sk-embed");

      // Replay: no endpoint, no key, same vectors from the cache.
      const replay = createEmbedder({
        profileName: "emb",
        profile: { ...profile, baseURL: "http://127.0.0.1:9/v1" },
        env: {},
        cache: new ResponseCache(dir.path, "replay"),
      });
      expect(await replay(["abd"])).toEqual([fakeEmbedding("abd")]);
      expect(fake.embeddingRequests).toHaveLength(1);
    } finally {
      await fake.close();
      dir.cleanup();
    }
  });

  it("names the option when the profile is unknown or no embedder is given", async () => {
    expect(() => embedderFor("nope", {})).toThrow(/transmission\.metrics\.embeddings: got "nope"/);
    await expect(
      generationTextMetrics({
        generation: 1,
        texts: authored(["a b", "c d"]),
        history: [],
        options: { ...options, embeddings: "emb" },
      }),
    ).rejects.toThrow(/transmission\.metrics\.embeddings/);
  });
});
