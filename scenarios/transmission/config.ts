import { z } from "zod";
import { LIMITS } from "../../sim/core/limits.js";
import { textMetricsOptionsSchema } from "./metrics/index.js";

const name = z.string().regex(/^[A-Za-z0-9_.:-]+$/, "a name of letters, digits and _.:-");

/** A group of consecutive agents (in population order) with its own persona and prompts. */
const groupSchema = z
  .object({
    name,
    /** Agents in the group; the groups' sizes add up to population.size. */
    size: z.number().int().min(1).max(LIMITS.populationSize),
    persona: z.string().optional(),
    initial: z.string().optional(),
    transformation: z.string().optional(),
    layout: z.string().optional(),
  })
  .strict();

const prestigeSchema = z
  .object({
    /**
     * degree: the in-neighbour's degree on the graph; weight: the edge's weight (default 1);
     * influence: how many texts of the last generation had its text as likely parent.
     */
    by: z.enum(["degree", "weight", "influence"]),
    /**
     * top: the k most prestigious (ties by slot); weighted: k drawn without replacement with
     * probability proportional to prestige + 1.
     */
    select: z.enum(["top", "weighted"]).default("top"),
    k: z.number().int().min(1).max(LIMITS.populationSize),
  })
  .strict();

const socialLearningSchema = z
  .object({
    /** Each agent hears k of its in-neighbours, drawn uniformly (all when it has k or fewer). */
    sample: z.number().int().min(1).max(LIMITS.populationSize).optional(),
    prestige: prestigeSchema.optional(),
    /**
     * Pass on only the received text most similar (mean TF-IDF cosine) to the other received texts.
     */
    conformity: z.boolean().default(false),
    /** The agent also sees its own previous text, first. */
    memory: z.boolean().default(false),
    /**
     * Share of agents replaced after each generation by newcomers with no own text (rounded to
     * whole agents).
     */
    turnover: z.number().min(0).max(1).default(0),
  })
  .strict()
  .refine(
    (s) => s.sample === undefined || s.prestige === undefined,
    "either sample or prestige, not both (prestige has its own k)",
  );

/** The `transmission:` section of a config. Defaults follow Perez et al. (2024)'s LLM-Culture. */
export const transmissionConfigSchema = z
  .object({
    /**
     * network: every agent writes every generation from its in-neighbours' texts; chain: the
     * telephone game.
     */
    mode: z.enum(["network", "chain"]).default("network"),
    /** Generation 1's instruction: a name (initials, then the library) or the text itself. */
    initial: z.string().min(1).default("story"),
    /**
     * Later generations' instruction (a transformation): a name (transformations, then the library)
     * or the text itself.
     */
    transformation: z.string().min(1).default("combine"),
    /** Your own transformations and initial prompts by name (Mustache; view: count). */
    transformations: z.record(name, z.string().min(1)).default({}),
    initials: z.record(name, z.string().min(1)).default({}),
    /**
     * How persona, instruction and texts make the message: agora, llm-culture (byte for byte
     * LLM-Culture's) or a Mustache template.
     */
    layout: z.string().min(1).default("agora"),
    /** Every agent's persona: a name (personas, then the library) or any text. */
    persona: z.string().default("neutral"),
    personas: z.record(name, z.string()).default({}),
    /**
     * One persona per agent in population order (LLM-Culture's personality_list); overrides persona
     * and groups.
     */
    personaList: z.array(z.string()).optional(),
    groups: z.array(groupSchema).default([]),
    /** Chain mode: the number of independent chains (default: one per seed text, else 1). */
    chains: z.number().int().min(1).max(LIMITS.populationSize).optional(),
    /**
     * Chain mode: each chain's starting text; generation 1 transforms it instead of writing from
     * the initial prompt.
     */
    seeds: z.array(z.string().min(1)).default([]),
    /**
     * Chain mode: how a chain's messages are built. Absent (agora): by `layout`, a seed being a
     * received text. telephone: TelephoneGameLLM's Agent.update_prompt, persona + "\n" + initial
     * prompt + seed glued on, later persona + "\n" + transformation + str(list) + "\n".
     */
    chainPrompt: z.enum(["agora", "telephone"]).optional(),
    /**
     * chainPrompt: telephone only: TelephoneGameLLM's format_prompt, appended to every message; an
     * answer is usable when `start`, some text, then `end` appear on one line, and the text between
     * them (trimmed) is what is passed on. A miss is re-asked with the same message, at most
     * `retries` times (the peer re-asks without a bound); then the text is unusable.
     */
    formatPrompt: z
      .object({
        text: z.string().min(1),
        start: z.string().min(1),
        end: z.string().min(1),
        retries: z.number().int().min(0).max(LIMITS.parseRetries).default(3),
      })
      .strict()
      .optional(),
    /**
     * Order of received texts in a prompt: slot (population order), weight (heaviest edge first,
     * ties by slot), graph (the graph's neighbour order: networkx's for llm-culture graphs).
     */
    inputOrder: z.enum(["slot", "weight", "graph"]).default("slot"),
    socialLearning: socialLearningSchema.default({ conformity: false, memory: false, turnover: 0 }),
    /**
     * Warn when a prompt's estimated tokens (characters / 3 + 4, the estimate the runtime fits
     * prompts by) reach this share of the profile's contextWindow.
     */
    contextWarning: z.number().gt(0).max(1).default(0.8),
    metrics: textMetricsOptionsSchema.default(textMetricsOptionsSchema.parse({})),
  })
  .strict();

export type TransmissionConfig = z.infer<typeof transmissionConfigSchema>;
export type GroupConfig = z.infer<typeof groupSchema>;
