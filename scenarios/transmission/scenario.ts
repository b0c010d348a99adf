import { llmCultureCommands } from "./interop/cli.js";
import { estimatePromptTokens } from "../../agents/context-fit.js";
import type { MindSpec } from "../../sim/core/minds.js";
import { ConfigError } from "../../sim/core/errors.js";
import { agentId } from "../../sim/core/ids.js";
import { defineScenario, type StepContext } from "../../sim/core/scenario.js";
import { mean } from "../../sim/toolkit/stats.js";
import type { Rng } from "../../sim/core/rng.js";
import { dropTexts, readText, TEXT_SCHEMA, type ReadText } from "./answers.js";
import {
  chainLayout,
  checkChainGraph,
  checkChainLength,
  writerIndex,
  type ChainLayout,
} from "./chains.js";
import { transmissionConfigSchema, type TransmissionConfig } from "./config.js";
import {
  createEmbedder,
  generationTextMetrics,
  likelyParents,
  type AuthoredText,
} from "./metrics/index.js";
import { personaLabel } from "./personas.js";
import { TRANSMISSION_POLICIES, type TextState } from "./policies.js";
import { buildPrompt, pythonListRepr } from "./prompts.js";
import { renderTemplate } from "../../sim/core/prompt-template.js";
import { INTERACTIONS, TIME } from "./declarations.js";
import { slotSetups, type SlotSetup } from "./setup.js";
import { chooseInputs, inNeighbours, turnoverSlots, type Candidate } from "./social-learning.js";

export interface TransmissionAgent {
  id: string;
  /** The generation the agent joined. */
  generation: number;
  slot: string;
  parents: string[];
  mind: MindSpec;
  /** Whether its agent-created event has been emitted. */
  announced: boolean;
}

export interface TransmissionPopulation {
  /** In slot (population) order. */
  agents: TransmissionAgent[];
  /**
   * Every generation's usable texts so far, index 0 = generation 1; in slot order (network) or
   * chain order (chains). Unusable texts are left out: they are never passed on nor measured.
   */
  history: HistoryText[][];
  /**
   * Per slot: how many texts of the last generation had the slot's previous text as likely parent.
   */
  influence: Record<string, number>;
}

interface HistoryText {
  agentId: string;
  slot: string;
  text: string;
  chain?: number;
}

type Input = { agentId: string | null; text: string; own: boolean };

/** One agent's writing job of a generation, built before any reply is used. */
interface Plan {
  agent: TransmissionAgent;
  setup: SlotSetup;
  chain: number | undefined;
  template: string;
  /** chainPrompt: telephone (TelephoneGameLLM's message, not the layout's); null: the layout's. */
  telephone: Telephone | null;
  inputs: Input[];
  /**
   * The generation the received texts were written in (chain mode: the chain's last usable text's;
   * 0 for a seed text).
   */
  inputGeneration: number;
  /** The user message, built on first use (see promptOf): a policy's fast path never needs it. */
  prompt?: string;
}

/**
 * What came of a plan: the text (null when unusable, with the reason) and the texts its prompt held
 * as sent.
 */
type Written = ReadText & {
  agentId: string;
  slot: string;
  chain?: number;
  /** The received texts of the prompt as sent: the plan's, less those the fit rule dropped. */
  heard: Input[];
  dropped: Input[];
};

interface Work {
  plans: Plan[];
  /** Index-aligned with plans. */
  written: Written[];
  metrics: Record<string, number | null>;
  lineage: Map<string, { parent: string; similarity: number }>;
}

type Ctx = StepContext<TransmissionConfig>;

/** Slot setups and the chain layout depend only on the config: computed once per section object. */
const derived = new WeakMap<
  TransmissionConfig,
  { setups: SlotSetup[]; chains: ChainLayout | null }
>();
function derive(section: TransmissionConfig, size: number) {
  let d = derived.get(section);
  if (!d) {
    d = {
      setups: slotSetups(section, size),
      chains: section.mode === "chain" ? chainLayout(section, size) : null,
    };
    derived.set(section, d);
  }
  return d;
}

const previousTexts = (population: TransmissionPopulation, generation: number) =>
  population.history[generation - 2] ?? [];

/**
 * Chain mode: the chain's last usable text before `generation` and the generation it was written in
 * (an unusable text passes on its predecessor's).
 */
function lastUsable(
  byChain: readonly ReadonlyMap<number | undefined, HistoryText>[],
  chain: number,
  generation: number,
): { text: HistoryText; generation: number } | undefined {
  for (let g = generation - 1; g >= 1; g--) {
    const text = byChain[g - 1]?.get(chain);
    if (text) return { text, generation: g };
  }
  return undefined;
}

const authorIds = (inputs: readonly Input[]): string[] =>
  inputs.flatMap((input) => (input.agentId === null ? [] : [input.agentId]));

/**
 * The network-mode inputs of one agent: chosen in-neighbour texts (`previous`: last generation's,
 * by slot), its own previous text first under memory.
 */
function networkInputs(
  ctx: Ctx,
  population: TransmissionPopulation,
  agent: TransmissionAgent,
  slotIndex: Map<string, number>,
  previous: ReadonlyMap<string, TransmissionPopulation["history"][number][number]>,
): Plan["inputs"] {
  const section = ctx.config;
  const candidates: Candidate[] = inNeighbours(ctx.graph, agent.slot).flatMap((slot) => {
    const t = previous.get(slot);
    return t ? [{ slot, authorId: t.agentId, text: t.text }] : [];
  });
  const chosen = chooseInputs(candidates, {
    graph: ctx.graph,
    slot: agent.slot,
    slotIndex,
    influence: population.influence,
    rng: ctx.rng("social", ctx.generation, agent.id),
    social: section.socialLearning,
    inputOrder: section.inputOrder,
    stopWords: section.metrics.stopWords,
  });
  const inputs = chosen.map((c) => ({ agentId: c.authorId, text: c.text, own: false }));
  const own = previous.get(agent.slot);
  if (section.socialLearning.memory && own?.agentId === agent.id)
    inputs.unshift({ agentId: agent.id, text: own.text, own: true });
  return inputs;
}

/** Whether the inputs are a chain's seed text (no author), which a telephone chain glues on. */
const seeded = (inputs: readonly Input[]): boolean =>
  inputs.length === 1 && inputs[0]!.agentId === null;

/** chainPrompt: telephone's options: TelephoneGameLLM's format prompt, if any. */
interface Telephone {
  format: TransmissionConfig["formatPrompt"];
}

/**
 * TelephoneGameLLM's Agent.update_prompt (string_sep "\n"): with no text received, personality +
 * "\n" + prompt_init + initial_story + format_prompt (the seed glued to the instruction, no list);
 * else personality + "\n" + prompt_update + str(['0: text']) + "\n" + format_prompt. Its published
 * runs have an empty format_prompt.
 */
function telephonePrompt(setup: SlotSetup, inputs: readonly Input[], telephone: Telephone): string {
  const count = { count: inputs.length };
  const format = telephone.format?.text ?? "";
  if (inputs.length === 0 || seeded(inputs))
    return `${setup.persona.text}\n${renderTemplate(setup.initial.template, count)}${inputs[0]?.text ?? ""}${format}`;
  const list = pythonListRepr(inputs.map((input, i) => `${i}: ${input.text}`));
  return `${setup.persona.text}\n${renderTemplate(setup.transformation.template, count)}${list}\n${format}`;
}

/**
 * The text between the format's flags, trimmed: TelephoneGameLLM's re.search(rf"{start}(.*?){end}")
 * .group(1).strip(), the flags taken literally; `.` there stops at "\n" only, hence [^\n].
 */
function formattedText(
  answer: string,
  format: NonNullable<TransmissionConfig["formatPrompt"]>,
): string | null {
  const escape = (flag: string) => flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`${escape(format.start)}([^\n]*?)${escape(format.end)}`).exec(answer);
  return match ? match[1]!.trim() : null;
}

/** The user message of a slot's prompt holding `inputs` (none: the initial prompt). */
function promptFor(
  setup: SlotSetup,
  inputs: readonly Input[],
  telephone: Telephone | null,
): string {
  if (telephone) return telephonePrompt(setup, inputs, telephone);
  const template = inputs.length === 0 ? setup.initial : setup.transformation;
  return buildPrompt(setup.layout.template, {
    persona: setup.persona.text,
    instruction: template.template,
    texts: inputs.map((input, i) => ({ number: i + 1, text: input.text, own: input.own })),
  });
}

function plan(
  agent: TransmissionAgent,
  setup: SlotSetup,
  chain: number | undefined,
  inputs: Input[],
  inputGeneration: number,
  telephone: Telephone | null = null,
): Plan {
  const template =
    inputs.length === 0 || (telephone && seeded(inputs)) ? setup.initial : setup.transformation;
  return {
    agent,
    setup,
    chain,
    template: template.name,
    telephone,
    inputs,
    inputGeneration,
  };
}

const promptOf = (p: Plan): string => (p.prompt ??= promptFor(p.setup, p.inputs, p.telephone));

/**
 * Warns (once per prompt) when a prompt's estimated size reaches the share `contextWarning` of its
 * profile's context window. The estimate is the one the runtime fits prompts with, so the warning
 * comes before any trimming does.
 */
function warnIfLong(ctx: Ctx, p: Plan): void {
  if (p.agent.mind.kind !== "llm") return;
  const window = ctx.profile(p.agent.mind.profile)?.contextWindow;
  if (window === undefined) return;
  const tokens = estimatePromptTokens([{ role: "user", content: promptOf(p) }]);
  if (tokens < ctx.config.contextWarning * window) return;
  ctx.emit({
    type: "warning",
    t: { generation: ctx.generation, ...(p.chain !== undefined ? { chain: p.chain } : {}) },
    message:
      `transmission: ${p.agent.id}'s prompt (${p.inputs.length} text(s)) is about ${tokens} tokens (characters / 3 + 4), ` +
      `${Math.round((100 * tokens) / window)}% of profile "${p.agent.mind.profile}"'s contextWindow of ${window}`,
  });
}

/** The text path: the prompt sent to the mind (fitted to its context window), its answer read. */
async function askText(
  ctx: Ctx,
  p: Plan,
  state: TextState,
  rng: Rng,
  onFit: (kept: readonly Input[]) => void,
): Promise<ReadText> {
  const profile = p.agent.mind.kind === "llm" ? ctx.profile(p.agent.mind.profile) : undefined;
  const t = p.chain !== undefined ? { chain: p.chain } : {};
  const request = {
    agentId: p.agent.id,
    mind: p.agent.mind,
    purpose: "text",
    messages: [{ role: "user" as const, content: promptOf(p) }],
    state,
    rng,
    t,
    fit: dropTexts(p.inputs, (kept) => promptFor(p.setup, kept, p.telephone), onFit),
    schema: TEXT_SCHEMA,
  };
  const format = p.telephone?.format;
  const structured = profile?.responseFormat === "json_schema";
  if (!format) return readText(await ctx.ask(request), structured);
  // TelephoneGameLLM's Agent.update_story: the same message again until the flags match; bounded
  // here, each miss a parse-failure event, and the text unusable when every attempt misses.
  for (let attempt = 1; attempt <= format.retries + 1; attempt++) {
    const answer = await ctx.ask({ ...request, attempt });
    const read = readText(answer, structured);
    if (read.unusable === "context-exceeded") return read;
    const text = read.text === null ? null : formattedText(read.text, format);
    if (text !== null) return readText(text, false);
    ctx.emit({
      type: "parse-failure",
      t: { generation: ctx.generation, ...t },
      agentId: p.agent.id,
      purpose: "text",
      attempt,
      reason: `no "${format.start}" … "${format.end}" on one line`,
      answer: answer ?? "",
    });
  }
  return { text: null, unusable: "unformatted" };
}

async function write(ctx: Ctx, p: Plan): Promise<Written> {
  const t = p.chain !== undefined ? { chain: p.chain } : {};
  const state: TextState = { inputs: p.inputs };
  const rng = ctx.rng("mind", p.agent.id, ctx.generation);
  // Set by the fit rule when the runtime had to shrink the prompt to fit the profile's
  // contextWindow.
  let heard: readonly Input[] = p.inputs;
  // A policy's fast path gives the text as readText would read it, with no prompt built.
  const fast = ctx.act<ReadText>({
    agentId: p.agent.id,
    mind: p.agent.mind,
    purpose: "text",
    state,
    rng,
  });
  const read = fast ? fast.value : await askText(ctx, p, state, rng, (kept) => (heard = kept));
  // Only a fitted prompt drops texts; a set, not includes: on a dense graph an agent receives
  // thousands of texts.
  const kept = heard === p.inputs ? null : new Set(heard);
  const dropped = kept ? p.inputs.filter((input) => !kept.has(input)) : [];
  ctx.emit({
    type: "interaction",
    t: { generation: ctx.generation, ...t },
    kind: "text",
    from: p.agent.id,
    to: null,
    mind: ctx.mindInfo(p.agent.mind),
    data: {
      text: read.text,
      ...(read.unusable ? { unusable: read.unusable } : {}),
      transformation: p.template,
      persona: p.setup.persona.text === "" ? null : personaLabel(p.setup.persona),
      inputs: authorIds(heard),
      ...(dropped.length > 0 ? { dropped: authorIds(dropped) } : {}),
      ...(p.chain !== undefined ? { chain: p.chain } : {}),
      ...(p.setup.group !== null ? { group: p.setup.group } : {}),
      ...(heard.some((input) => input.agentId === null) ? { seeded: true } : {}),
    },
  });
  return {
    ...read,
    agentId: p.agent.id,
    slot: p.agent.slot,
    ...(p.chain !== undefined ? { chain: p.chain } : {}),
    heard: [...heard],
    dropped,
  };
}

/** The usable texts of a generation, as the history keeps them. */
function usableTexts(written: readonly Written[]): HistoryText[] {
  return written.flatMap((w) =>
    w.text === null
      ? []
      : [
          {
            agentId: w.agentId,
            slot: w.slot,
            text: w.text,
            ...(w.chain !== undefined ? { chain: w.chain } : {}),
          },
        ],
  );
}

export const transmission = defineScenario<TransmissionConfig, TransmissionPopulation, Work>({
  id: "transmission",
  configKey: "transmission",
  configSchema: transmissionConfigSchema,
  policies: TRANSMISSION_POLICIES,
  commands: llmCultureCommands,
  // A story of a few hundred words with room to spare; LLM-Culture's llama.cpp backend asked for
  // 512.
  defaultMaxTokens: 1024,
  unusableCounts: ["textsUnusable"],
  time: TIME,
  interactions: INTERACTIONS,

  check(config, section) {
    slotSetups(section, config.population.size);
    if (section.formatPrompt !== undefined && section.chainPrompt !== "telephone")
      throw new ConfigError(
        "transmission.formatPrompt",
        section.formatPrompt.text,
        'nothing without mode: "chain" and chainPrompt: telephone (TelephoneGameLLM\'s format prompt)',
      );
    if (section.mode === "chain") {
      const layout = chainLayout(section, config.population.size);
      checkChainLength(layout, config.generations);
      const { sample, prestige, conformity, memory, turnover } = section.socialLearning;
      if (sample !== undefined || prestige !== undefined || conformity || memory || turnover > 0)
        throw new ConfigError(
          "transmission.socialLearning",
          section.socialLearning,
          "no social-learning options in chain mode (each agent sees only its predecessor)",
        );
      checkChainGraph(config.graph, layout);
    } else if (section.chainPrompt !== undefined) {
      throw new ConfigError(
        "transmission.chainPrompt",
        section.chainPrompt,
        'nothing in network mode (chainPrompt belongs to mode: "chain")',
      );
    } else if (section.seeds.length > 0 || section.chains !== undefined) {
      throw new ConfigError(
        section.seeds.length > 0 ? "transmission.seeds" : "transmission.chains",
        section.seeds.length > 0 ? section.seeds : section.chains,
        'nothing in network mode (seeds and chains belong to mode: "chain")',
      );
    }
    const embeddings = section.metrics.embeddings;
    if (embeddings !== undefined && !(embeddings in (config.profiles ?? {})))
      throw new ConfigError(
        "transmission.metrics.embeddings",
        embeddings,
        `a profile defined under profiles (${Object.keys(config.profiles ?? {}).join(", ") || "none defined"})`,
      );
  },

  createPopulation(agents) {
    return {
      agents: agents.map((a) => ({
        id: a.id,
        generation: 1,
        slot: a.id,
        parents: [],
        mind: a.mind,
        announced: false,
      })),
      history: [],
      influence: {},
    };
  },

  beginGeneration() {
    return {
      work: { plans: [], written: [], metrics: {}, lineage: new Map() },
      steps: [
        { name: "texts", t: {} },
        { name: "metrics", t: {} },
      ],
    };
  },

  async runStep(population, work, step, ctx) {
    const section = ctx.config;
    const size = population.agents.length;
    const { setups, chains } = derive(section, size);
    if (step.name === "texts") {
      population.agents.forEach((agent, i) => {
        if (agent.announced) return;
        ctx.emit({
          type: "agent-created",
          t: { generation: ctx.generation },
          agent: {
            id: agent.id,
            generation: agent.generation,
            parents: agent.parents,
            mind: ctx.mindInfo(agent.mind),
            strategy: personaLabel(setups[i]!.persona),
            slot: agent.slot,
          },
        });
      });
      // Every prompt of the generation is built from the previous generation's texts before any
      // call is made.
      if (chains) {
        // Each generation's texts by chain, so that finding a chain's text is no search.
        const byChain = population.history.map((gen) => new Map(gen.map((t) => [t.chain, t])));
        for (let c = 0; c < chains.count; c++) {
          const index = writerIndex(chains, c, ctx.generation);
          const before = lastUsable(byChain, c, ctx.generation);
          const seed = section.seeds[c];
          const inputs = before
            ? [{ agentId: before.text.agentId, text: before.text.text, own: false }]
            : seed !== undefined
              ? [{ agentId: null, text: seed, own: false }]
              : [];
          work.plans.push(
            plan(
              population.agents[index]!,
              setups[index]!,
              c,
              inputs,
              before?.generation ?? 0,
              section.chainPrompt === "telephone" ? { format: section.formatPrompt } : null,
            ),
          );
        }
      } else {
        const slotIndex = new Map(population.agents.map((a, i) => [a.slot, i]));
        // Slots whose last text was unusable are not in the history: their neighbours receive
        // nothing from them.
        const previous = new Map(previousTexts(population, ctx.generation).map((t) => [t.slot, t]));
        population.agents.forEach((agent, i) =>
          work.plans.push(
            plan(
              agent,
              setups[i]!,
              undefined,
              networkInputs(ctx, population, agent, slotIndex, previous),
              ctx.generation - 1,
            ),
          ),
        );
      }
      for (const p of work.plans) warnIfLong(ctx, p);
      work.written = await ctx.parallel(work.plans, (p, branch) => write(branch, p));
      return;
    }
    const authored = (
      ts: readonly { agentId: string; text: string; chain?: number; slot: string }[],
    ): AuthoredText[] =>
      ts.map((t) => ({
        agentId: t.agentId,
        text: t.text,
        ...(t.chain !== undefined ? { chain: t.chain } : { slot: t.slot }),
      }));
    const usable = usableTexts(work.written);
    // A usable text's likely parent: the received text (of those sent) it is most similar to.
    work.plans.forEach((p, i) => {
      const written = work.written[i]!;
      if (written.text === null) return;
      const heard = written.heard.flatMap((input) =>
        input.agentId === null ? [] : [{ agentId: input.agentId, text: input.text }],
      );
      const [parent] = likelyParents(
        authored([{ ...written, text: written.text }]),
        heard,
        section.metrics,
      );
      if (!parent) return;
      work.lineage.set(parent.agentId, { parent: parent.parent, similarity: parent.similarity });
      ctx.emit({
        type: "interaction",
        t: { generation: ctx.generation, ...(p.chain !== undefined ? { chain: p.chain } : {}) },
        kind: "lineage",
        from: parent.agentId,
        to: parent.parent,
        mind: ctx.mindInfo(p.agent.mind),
        data: { similarity: parent.similarity, parentGeneration: p.inputGeneration },
      });
    });
    const embeddingsProfile = section.metrics.embeddings;
    const profile = embeddingsProfile === undefined ? undefined : ctx.profile(embeddingsProfile);
    work.metrics = {
      ...(await generationTextMetrics({
        generation: ctx.generation,
        texts: authored(usable),
        history: population.history.map(authored),
        options: section.metrics,
        ...(chains && section.seeds.length > 0
          ? {
              initial: section.seeds.map((text, chain) => ({
                agentId: `seed-${chain}`,
                text,
                chain,
              })),
            }
          : {}),
        rng: ctx.rng("metrics", ctx.generation),
        // Network mode: how far generation 1's texts spread; one draw of origins for the run.
        ...(chains
          ? {}
          : { network: { graph: ctx.graph, origins: ctx.rng("metrics", "origins") } }),
        ...(profile
          ? {
              embedder: createEmbedder({
                profileName: embeddingsProfile!,
                profile,
                cache: ctx.cache,
              }),
            }
          : {}),
      })),
      meanInputs: mean(work.written.map((w) => w.heard.length)),
      textsUnusable: work.written.length - usable.length,
    };
  },

  endGeneration(population, work, ctx, last) {
    const section = ctx.config;
    const generation = ctx.generation;
    const slotOf = new Map(previousTexts(population, generation).map((t) => [t.agentId, t.slot]));
    const influence: Record<string, number> = {};
    for (const { parent } of work.lineage.values()) {
      const slot = slotOf.get(parent);
      if (slot !== undefined) influence[slot] = (influence[slot] ?? 0) + 1;
    }
    const leaving =
      last || section.mode === "chain"
        ? []
        : turnoverSlots(
            population.agents.map((a) => a.slot),
            section.socialLearning.turnover,
            ctx.rng("turnover", generation),
          );
    const newcomers = new Map(
      leaving.map((slot, i) => {
        const gone = population.agents.find((a) => a.slot === slot)!;
        return [
          slot,
          {
            id: agentId(generation + 1, i + 1),
            generation: generation + 1,
            slot,
            parents: [],
            mind: gone.mind,
            announced: false,
          } satisfies TransmissionAgent,
        ];
      }),
    );
    const agents = population.agents.map((a) => newcomers.get(a.slot) ?? { ...a, announced: true });
    const removed = population.agents.filter((a) => newcomers.has(a.slot)).map((a) => a.id);

    const plans = new Map(work.plans.map((p) => [p.agent.id, p]));
    const agentRows = work.written.map((w) => {
      const p = plans.get(w.agentId)!;
      const lineage = work.lineage.get(w.agentId);
      return {
        generation,
        agentId: w.agentId,
        slot: w.slot,
        born: p.agent.generation,
        mindKind: p.agent.mind.kind,
        mind: p.agent.mind.kind === "llm" ? p.agent.mind.profile : p.agent.mind.policy,
        params: p.agent.mind.kind === "policy" ? p.agent.mind.params : null,
        parents: p.agent.parents,
        persona: personaLabel(p.setup.persona),
        group: p.setup.group,
        chain: w.chain ?? null,
        transformation: p.template,
        inputs: authorIds(w.heard),
        dropped: authorIds(w.dropped),
        text: w.text,
        unusable: w.unusable ?? null,
        likelyParent: lineage?.parent ?? null,
        parentSimilarity: lineage?.similarity ?? null,
        replaced: newcomers.has(w.slot),
      };
    });
    return {
      population: {
        agents,
        history: [...population.history, usableTexts(work.written)],
        influence,
      },
      metrics: work.metrics,
      agentRows,
      survivors: population.agents.filter((a) => !newcomers.has(a.slot)).map((a) => a.id),
      removed,
      created: [...newcomers.values()].map((a) => a.id),
      scores: {},
    };
  },
});
