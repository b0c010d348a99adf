import { z } from "zod";
import type { PolicyRegistry } from "../../sim/core/minds.js";
import type { Rng } from "../../sim/core/rng.js";
import { readText, type ReadText } from "./answers.js";

/** What a text policy decides from: the texts the prompt would contain, never the prompt itself. */
export interface TextState {
  /** The received texts in prompt order (the agent's own previous text first, under memory). */
  inputs: { agentId: string | null; text: string; own: boolean }[];
}

/** Stock sentences generation-1 policy texts are drawn from (and inserted sentences). */
const CORPUS = [
  "A fisherman found a silver key inside a trout.",
  "The village had not seen rain for three summers.",
  "An old clockmaker taught his cat to count the hours.",
  "Every night the lighthouse keeper wrote letters to the sea.",
  "A girl named Mira followed a red fox into the hills.",
  "The king hid his crown under a loaf of bread.",
  "Two brothers built a boat from the doors of their house.",
  "A storm carried the baker's oven across the valley.",
  "The library opened only for readers who could whistle.",
  "A soldier traded his sword for a violin.",
  "The moon fell into the well and the children pulled it out.",
  "A merchant sold maps of places that did not exist.",
  "The river spoke once a year, at midnight, in riddles.",
  "An owl guarded the gate of the forgotten garden.",
  "The farmer planted buttons and harvested coats.",
  "A young painter could paint only what would happen tomorrow.",
  "The bridge between the two towns was made of glass.",
  "A giant lived quietly under the market square.",
  "The queen's mirror refused to show anything but the weather.",
  "A boy collected echoes in jars and sold them at the fair.",
  "The mountain goats elected a mayor.",
  "A ship sailed through the desert looking for the ocean.",
  "Her grandmother's recipe book contained a map to the stars.",
  "The wind stole the scarecrow's hat and then apologised.",
  "A tailor stitched a shadow back onto a lost traveller.",
  "The forest grew a new tree for every promise kept.",
  "A thief stole the silence from the monastery.",
  "The snowman wished to see the summer just once.",
  "A bell rang in the empty tower whenever someone lied.",
  "The twins swapped their names and forgot to swap back.",
  "A dragon opened a bakery and burned every loaf.",
  "The musician played a song that made the walls listen.",
];

const rate = z.number().min(0).max(1);

const paramsSchema = z
  .object({
    /**
     * Per word: probability of dropping it, swapping it with the next, duplicating it, inserting a
     * word after it.
     */
    wordDrop: rate.default(0.005),
    wordSwap: rate.default(0.005),
    wordDuplicate: rate.default(0.005),
    wordInsert: rate.default(0.005),
    /**
     * Per sentence: the same four operators on whole sentences (inserted sentences come from a
     * stock corpus).
     */
    sentenceDrop: rate.default(0.02),
    sentenceSwap: rate.default(0.02),
    sentenceDuplicate: rate.default(0.01),
    sentenceInsert: rate.default(0.01),
    /**
     * Per sentence position: probability of taking the sentence from a random received text instead
     * of the base text.
     */
    mix: rate.default(0.5),
    /**
     * A text the policy drifts toward: each sentence position is replaced by the attractor's with
     * probability `strength`.
     */
    attractor: z.string().default(""),
    strength: rate.default(0),
    /** Sentences of a generation-1 text. */
    sentences: z.number().int().min(1).max(CORPUS.length).default(5),
  })
  .strict();

type Params = z.infer<typeof paramsSchema>;

/**
 * A text's sentences, remembered: every agent that receives a text splits it, thousands of times
 * on a dense graph. Bounded so a long-lived process does not grow.
 */
const SPLIT_LIMIT = 50_000;
const splitCache = new Map<string, readonly string[]>();
function splitSentences(text: string): readonly string[] {
  let sentences = splitCache.get(text);
  if (!sentences) {
    sentences = text
      .split(/(?<=[.!?])\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (splitCache.size >= SPLIT_LIMIT) splitCache.clear();
    splitCache.set(text, sentences);
  }
  return sentences;
}

/** Keep, drop, swap, duplicate or insert items, each with its probability. */
function operate<T>(
  items: readonly T[],
  p: { drop: number; swap: number; duplicate: number; insert: number },
  insert: () => T,
  rng: Rng,
): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (rng.bool(p.swap) && i + 1 < items.length) {
      out.push(items[i + 1]!, item);
      i++;
      continue;
    }
    if (rng.bool(p.drop)) continue;
    out.push(item);
    if (rng.bool(p.duplicate)) out.push(item);
    if (rng.bool(p.insert)) out.push(insert());
  }
  return out;
}

/**
 * The text operators: a base text (one received text, drawn at random) whose sentences are mixed
 * with the other received texts' sentences at the same positions, pulled toward the attractor,
 * then edited sentence by sentence and word by word. Generation 1 (nothing received) draws
 * sentences from a stock corpus. Mixing spreads sentences along the graph's edges, so texts grow
 * alike faster the more neighbours each agent hears.
 */
function transform(state: TextState, params: Params, rng: Rng): string {
  const sources = state.inputs
    .map((input) => splitSentences(input.text))
    .filter((s) => s.length > 0);
  let sentences: string[];
  if (sources.length === 0) {
    sentences = rng.shuffle(CORPUS).slice(0, params.sentences);
  } else {
    const base = rng.pick(sources);
    sentences = base.map((sentence, i) => {
      if (!rng.bool(params.mix)) return sentence;
      const other = rng.pick(sources);
      return other[i] ?? rng.pick(other);
    });
  }
  const attractor = splitSentences(params.attractor);
  if (attractor.length > 0)
    sentences = sentences.map((s, i) =>
      rng.bool(params.strength) ? attractor[i % attractor.length]! : s,
    );
  const vocabulary = sentences.join(" ").split(/\s+/);
  sentences = operate(
    sentences,
    {
      drop: params.sentenceDrop,
      swap: params.sentenceSwap,
      duplicate: params.sentenceDuplicate,
      insert: params.sentenceInsert,
    },
    () => rng.pick(CORPUS),
    rng,
  );
  // Never let a text vanish or balloon: at least one sentence, at most twice the generation-1
  // length.
  if (sentences.length === 0) sentences = [rng.pick(CORPUS)];
  sentences = sentences.slice(0, 2 * params.sentences);
  return sentences
    .map((sentence) => {
      const words = operate(
        sentence.split(/\s+/),
        {
          drop: params.wordDrop,
          swap: params.wordSwap,
          duplicate: params.wordDuplicate,
          insert: params.wordInsert,
        },
        () => rng.pick(vocabulary),
        rng,
      );
      return (words.length > 0 ? words : sentence.split(/\s+/)).join(" ");
    })
    .join(" ");
}

/** Offline text policies (seeded, no model): the transmission scenario's policy minds. */
export const TRANSMISSION_POLICIES: PolicyRegistry = {
  "text-operators": {
    paramsSchema,
    describe: (p: Params) =>
      `text operators (policy, not an LLM): mix ${p.mix}, word drop/swap/duplicate/insert ${p.wordDrop}/${p.wordSwap}/${p.wordDuplicate}/${p.wordInsert}, ` +
      `sentence drop/swap/duplicate/insert ${p.sentenceDrop}/${p.sentenceSwap}/${p.sentenceDuplicate}/${p.sentenceInsert}${p.attractor ? `, attractor strength ${p.strength}` : ""}`,
    decide: ({ state, params, rng }) => transform(state as TextState, params as Params, rng),
    // What the scenario reads from that text (the text path's policy answers are never
    // structured).
    act: ({ state, params, rng }): ReadText =>
      readText(transform(state as TextState, params as Params, rng), false),
  },
};
