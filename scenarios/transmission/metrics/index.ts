import type { SocialGraph } from "../../../sim/core/graph/social.js";
import { Rng } from "../../../sim/core/rng.js";
import { mean as meanOf } from "../../../sim/toolkit/stats.js";
import { attractor, bootstrapAttractor, telephoneAttractor } from "./attractors.js";
import { clusterCount } from "./diversity.js";
import { meanDensePairwise, type Embedder } from "./embeddings.js";
import type { AuthoredText, TextMetricsOptions } from "./options.js";
import { gunningFog, words } from "./readability.js";
import { positivity } from "./sentiment.js";
import { nltkPositivity } from "./sentiment-nltk.js";
import { dot, generationSimilarity, type PackedVector } from "./similarity.js";
import { noSpread, originSimilarity } from "./spread.js";
import { textstatGunningFog } from "./textstat.js";

export {
  textMetricsOptionsSchema,
  DEFAULT_TEXT_METRICS_OPTIONS,
  type AuthoredText,
  type TextMetricsOptions,
} from "./options.js";
export { likelyParents, type LikelyParent } from "./lineage.js";
export { createEmbedder, embedderFor, type Embedder } from "./embeddings.js";
export { betweenGenerationMatrix } from "./similarity.js";
export {
  attractor,
  bootstrapAttractor,
  linearFit,
  telephoneAttractor,
  type Attractor,
  type TelephoneAttractor,
} from "./attractors.js";
export { textstatGunningFog } from "./textstat.js";

export interface GenerationTextInput {
  /** 1-based. */
  generation: number;
  texts: readonly AuthoredText[];
  /** Generations 1 .. generation-1, index 0 = generation 1. */
  history: readonly (readonly AuthoredText[])[];
  options: TextMetricsOptions;
  /**
   * Chain mode: each chain's seed text (with `chain` set), the initial value for attractors and
   * cumulative change instead of generation 1.
   */
  initial?: readonly AuthoredText[];
  /**
   * The bootstrap's stream (e.g. ctx.rng("metrics", generation)); default: seed 0 and the
   * generation.
   */
  rng?: Rng;
  /** Required when options.embeddings names a profile (see embedderFor). */
  embedder?: Embedder;
  /**
   * Offline only: the texts to fit the TF-IDF vectorizer on instead of everything seen so far, e.g.
   * every text of the finished run, which is what LLM-Culture's analysis fits on.
   */
  fitCorpus?: readonly string[];
  /**
   * Network mode: the graph the texts travel on, for the spread of generation-1 texts over graph
   * distance (the `originSimilarity…` keys; texts without a `slot` are left out of them), and the
   * stream the origins are drawn from when there are more than `options.spreadOrigins`: the same
   * stream every generation, so that every row follows the same origins.
   */
  network?: { graph: SocialGraph; origins: Rng };
}

/** Scalar text properties, and their key names. */
const PROPERTIES = {
  Positivity: (text: string) => positivity(text),
  NltkPositivity: (text: string) => nltkPositivity(text),
  Fog: (text: string) => gunningFog(text),
  Words: (text: string) => words(text).length,
  TextstatFog: (text: string) => textstatGunningFog(text),
  // Code points, as Python's len() counts them (not UTF-16 units).
  Chars: (text: string) => [...text].length,
} as const;
type Property = keyof typeof PROPERTIES;

/**
 * The properties whose chain attractors are estimated, by key name: ours, or the telephone paper's
 * (difficulty = textstat's fog, length = characters), where `bounded` ones have their position
 * clipped to [-1, 1].
 */
const ATTRACTOR_PROPERTIES: Record<
  TextMetricsOptions["reference"],
  Record<string, { property: Property; bounded?: boolean }>
> = {
  agora: {
    Positivity: { property: "Positivity" },
    Fog: { property: "Fog" },
    Words: { property: "Words" },
  },
  telephone: {
    Positivity: { property: "NltkPositivity", bounded: true },
    Fog: { property: "TextstatFog", bounded: false },
    Chars: { property: "Chars", bounded: false },
  },
};

/** Each property of each text computed once per call (VADER takes milliseconds on a long text). */
function propertyTable(): (name: Property, text: string) => number | null {
  const seen = new Map<string, number | null>();
  return (name, text) => {
    const key = `${name}\u0000${text}`;
    if (!seen.has(key)) seen.set(key, PROPERTIES[name](text));
    return seen.get(key)!;
  };
}

/** The mean of the known values (a text without words has no fog); null when none is known. */
const mean = (values: readonly (number | null)[]): number | null =>
  meanOf(values.filter((v): v is number => v !== null));

/**
 * Whose lineage a text continues: its chain in chain mode, else its author (a newcomer starts its
 * own).
 */
const lineageKey = (t: AuthoredText): string =>
  t.chain !== undefined ? `chain:${t.chain}` : `agent:${t.agentId}`;

/**
 * One generation's text metrics (the `metric` event's values, scope "generation"). One TF-IDF
 * vectorizer is fitted on every text seen so far (generations 1..g and the chains' seed texts), so
 * a row never depends on later generations; LLM-Culture fits one on the whole finished run instead
 * (`fitCorpus` does that offline; the README says how far apart the two are).
 */
export async function generationTextMetrics(
  input: GenerationTextInput,
): Promise<Record<string, number | null>> {
  const { generation, texts, history, options } = input;
  const initial = input.initial ?? [];
  const generations = [...history, texts];
  const similarity = generationSimilarity(
    generations.map((gen) => gen.map((t) => t.text)),
    initial.map((t) => t.text),
    options.stopWords,
    input.fitCorpus,
  );
  const { within, withinSelf, toGeneration, current } = similarity;
  const start = initial.length > 0 ? initial : (generations[0] ?? []);
  const measure = propertyTable();
  const values: Record<string, number | null> = {
    similarityWithin: within,
    similarityWithinSelf: withinSelf,
    similarityPrevious: generation > 1 ? toGeneration[toGeneration.length - 2]! : null,
    similarityFirst: generation > 1 ? toGeneration[0]! : null,
    diversity: within === null ? null : 1 - within,
    clusters: texts.length === 0 ? null : clusterCount(current, options.clusterThreshold),
    positivity: mean(
      texts.map((t) =>
        measure(options.reference === "telephone" ? "NltkPositivity" : "Positivity", t.text),
      ),
    ),
    fog: mean(
      texts.map((t) => measure(options.reference === "telephone" ? "TextstatFog" : "Fog", t.text)),
    ),
    chars: mean(texts.map((t) => t.text.length)),
    words: mean(texts.map((t) => measure("Words", t.text))),
    cumulativeChange: cumulativeChange(
      texts,
      current,
      start,
      start.map((t) => similarity.vector(t.text)),
    ),
  };
  // Row g, columns 1..g: LLM-Culture's between-generation matrix; the diagonal is the
  // self-including within similarity.
  toGeneration.forEach((value, k) => (values[`similarityToGen${k + 1}`] = value));
  if (options.embeddings !== undefined) {
    if (!input.embedder)
      throw new Error(
        `transmission.metrics.embeddings: profile "${options.embeddings}" is set but no embedder was passed to generationTextMetrics`,
      );
    values.embeddingWithin =
      texts.length < 2 ? null : meanDensePairwise(await input.embedder(texts.map((t) => t.text)));
  }
  if (input.network) {
    const placed = (ts: readonly AuthoredText[]) =>
      ts.flatMap((t) => (t.slot === undefined ? [] : [{ slot: t.slot, text: t.text }]));
    // The current texts' vectors are at hand; any other text (an origin's) is vectorised on demand.
    const vectors = new Map(texts.map((t, i) => [t.text, current[i]!]));
    Object.assign(
      values,
      generation === 1
        ? noSpread()
        : originSimilarity(
            input.network.graph,
            placed(generations[0]!),
            placed(texts),
            (text) => vectors.get(text) ?? similarity.vector(text),
            options.spreadOrigins,
            input.network.origins,
          ),
    );
  }
  if (texts.some((t) => t.chain !== undefined) && generation >= options.attractorGeneration) {
    Object.assign(
      values,
      chainAttractors(
        texts,
        initial.length > 0 ? initial : (history[0] ?? []),
        options,
        input.rng ?? new Rng(0, ["transmission-metrics", generation]),
        measure,
      ),
    );
  }
  return values;
}

/** Mean over lineages of 1 − cosine between the current text and the lineage's initial text. */
function cumulativeChange(
  texts: readonly AuthoredText[],
  vectors: readonly PackedVector[],
  initial: readonly AuthoredText[],
  initialVectors: readonly PackedVector[],
): number | null {
  const start = new Map(initial.map((t, i) => [lineageKey(t), i]));
  const changes: number[] = [];
  texts.forEach((t, i) => {
    const j = start.get(lineageKey(t));
    if (j === undefined) return;
    changes.push(initial[j]!.text === t.text ? 0 : 1 - dot(vectors[i]!, initialVectors[j]!));
  });
  return mean(changes);
}

/**
 * Per property: the regression of each chain's value now on its initial value, the attractor's
 * position and strength, and their 95% bootstrap intervals (chains resampled); with the telephone
 * reference, its attractor definition and a p-value (`…PValue`).
 */
function chainAttractors(
  texts: readonly AuthoredText[],
  initial: readonly AuthoredText[],
  options: TextMetricsOptions,
  rng: Rng,
  measure: ReturnType<typeof propertyTable>,
): Record<string, number | null> {
  const start = new Map(
    initial.filter((t) => t.chain !== undefined).map((t) => [t.chain!, t.text]),
  );
  const out: Record<string, number | null> = {};
  const telephone = options.reference === "telephone";
  for (const [name, { property, bounded = false }] of Object.entries(
    ATTRACTOR_PROPERTIES[options.reference],
  )) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const t of texts) {
      const seed = t.chain === undefined ? undefined : start.get(t.chain);
      if (seed === undefined) continue;
      const [x, y] = [measure(property, seed), measure(property, t.text)];
      if (x === null || y === null) continue;
      xs.push(x);
      ys.push(y);
    }
    const fitOf = telephone
      ? (a: readonly number[], b: readonly number[]) => telephoneAttractor(a, b, bounded)
      : attractor;
    const fit = xs.length >= 3 ? fitOf(xs, ys) : null;
    const ci =
      fit && options.bootstrapSamples > 0
        ? bootstrapAttractor(xs, ys, options.bootstrapSamples, rng.derive(name), fitOf)
        : null;
    const key = `attractor${name}`;
    out[`${key}Slope`] = fit?.slope ?? null;
    out[`${key}Intercept`] = fit?.intercept ?? null;
    out[`${key}Position`] = fit?.position ?? null;
    out[`${key}PositionLo`] = ci?.position?.lo ?? null;
    out[`${key}PositionHi`] = ci?.position?.hi ?? null;
    out[`${key}Strength`] = fit?.strength ?? null;
    out[`${key}StrengthLo`] = ci?.strength?.lo ?? null;
    out[`${key}StrengthHi`] = ci?.strength?.hi ?? null;
    if (telephone)
      out[`${key}PValue`] = (fit as ReturnType<typeof telephoneAttractor>)?.pValue ?? null;
  }
  return out;
}
