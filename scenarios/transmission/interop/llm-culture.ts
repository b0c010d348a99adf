import { agentId } from "../../../sim/core/ids.js";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { emptyTotals } from "../../../sim/core/spend.js";
import { configHash, type ResolvedConfig } from "../../../sim/core/config.js";
import { describeValue, UsageError } from "../../../sim/core/errors.js";
import {
  EVENT_VERSION,
  type AgoraEvent,
  type EventInput,
  type MindInfo,
} from "../../../sim/core/events.js";
import { compactGraph, serializedGraph } from "../../../sim/core/graph/compact.js";
import { buildSocialGraph, graphStats } from "../../../sim/core/graph/index.js";
import {
  eventLogPath,
  readEventLog,
  RunRecorder,
  type Manifest,
} from "../../../sim/core/recorder.js";
import { Rng } from "../../../sim/core/rng.js";
import { INTERACTIONS, TIME } from "../declarations.js";
import { AGORA_VERSION, gitCommit } from "../../../sim/core/version.js";
import { chainCount } from "../chains.js";
import { transmissionConfigSchema, type TransmissionConfig } from "../config.js";
import { resolvePersona } from "../personas.js";
import { INITIAL_PROMPTS, resolveTemplate, TRANSFORMATIONS } from "../transformations.js";
import {
  generationTextMetrics,
  likelyParents,
  textMetricsOptionsSchema,
  type AuthoredText,
  type TextMetricsOptions,
} from "../metrics/index.js";

/**
 * LLM-Culture's output JSON (llm_culture/simulation/utils.py, run_experiment): one file per seed.
 * `adjacency_matrix` is networkx's to_numpy_array of the network (row i, column j: an edge i -> j;
 * symmetric for its undirected networks); agent j hears its predecessors i. `stories[t][k]`: in a
 * network every agent writes every timestep, so k is the agent; in its "sequence" (transmission
 * chain) only agent t writes at timestep t, so every `stories[t]` holds one story. The telephone
 * game's fork (TelephoneGameLLM, main_simulation.py) adds a self-loop to every agent (a 1 on the
 * diagonal), `format_prompt` (a list of one string) and `initial_story` (the text its first
 * prompts end with).
 */
export interface LlmCultureOutput {
  adjacency_matrix: number[][];
  prompt_init: string[];
  prompt_update: string[];
  personality_list: string[];
  format_prompt?: string[];
  initial_story?: string;
  stories: string[][];
}

/**
 * A malformed LLM-Culture file, or a run that does not fit its layout: the message names the field
 * (or flag) and the value found.
 */
export class LlmCultureInputError extends UsageError {
  constructor(source: string, field: string, value: unknown, expected: string) {
    super(`${source}: ${field}: got ${describeValue(value)}, expected ${expected}`);
    this.name = "LlmCultureInputError";
  }
}

/**
 * The minds of an imported run: the texts were written by LLM-Culture's LLM, which its files do not
 * name.
 */
const IMPORTED_MIND: MindInfo = { kind: "llm", name: "llm-culture-import" };
const IMPORTED_NOTE =
  "texts written by an LLM in LLM-Culture and imported from its output file; the model is not recorded there and Agora made no call";

const KEYS = [
  "adjacency_matrix",
  "prompt_init",
  "prompt_update",
  "personality_list",
  "stories",
] as const;

/** The telephone game's additional keys, kept (see LlmCultureOutput). */
const OPTIONAL_KEYS: readonly string[] = ["format_prompt", "initial_story"];

/** Checks the layout of a parsed LLM-Culture file; `source` names it in errors. */
export function parseLlmCultureOutput(
  raw: unknown,
  source: string,
): {
  output: LlmCultureOutput;
  mode: "network" | "chain";
  /** Agents with a self-loop (a non-zero diagonal entry). */
  selfLoops: number;
  ignoredKeys: string[];
} {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new LlmCultureInputError(source, field, value, expected);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    fail("(root)", raw, `an object with ${KEYS.join(", ")}`);
  const data = raw as Record<string, unknown>;
  for (const key of KEYS)
    if (!(key in data)) fail(key, undefined, "this key: LLM-Culture output files always have it");

  const matrix = data.adjacency_matrix;
  if (!Array.isArray(matrix) || matrix.length < 2)
    fail("adjacency_matrix", matrix, "a square matrix (a list of rows) for at least 2 agents");
  const n = (matrix as unknown[]).length;
  (matrix as unknown[]).forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n)
      fail(`adjacency_matrix.${i}`, row, `a row of ${n} numbers`);
    (row as unknown[]).forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
        fail(`adjacency_matrix.${i}.${j}`, v, "a weight >= 0 (0 = no edge)");
    });
  });
  // The telephone game's self-loops: an agent among its own predecessors, which in a network makes
  // it hear its own previous story (a sequence's agent writes once, so there it changes nothing).
  const selfLoops = (matrix as number[][]).filter((row, i) => row[i] !== 0).length;

  const strings = (
    key: "prompt_init" | "prompt_update" | "personality_list",
    length?: number,
  ): void => {
    const list = data[key];
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      (length !== undefined && list.length !== length)
    )
      fail(
        key,
        list,
        length === undefined
          ? "a list of strings (LLM-Culture writes one prompt)"
          : `a list of ${length} strings, one per agent`,
      );
    (list as unknown[]).forEach((s, i) => {
      if (typeof s !== "string") fail(`${key}.${i}`, s, "a string");
    });
  };
  strings("prompt_init");
  strings("prompt_update");
  strings("personality_list", n);
  if ("format_prompt" in data) {
    const list = data.format_prompt;
    if (!Array.isArray(list) || list.some((f) => typeof f !== "string"))
      fail("format_prompt", list, "a list of strings (the telephone game writes one)");
  }
  if ("initial_story" in data && typeof data.initial_story !== "string")
    fail("initial_story", data.initial_story, "a string");

  const stories = data.stories;
  if (!Array.isArray(stories) || stories.length === 0)
    fail("stories", stories, "a list of timesteps, each a list of stories");
  (stories as unknown[]).forEach((gen, t) => {
    if (!Array.isArray(gen)) fail(`stories.${t}`, gen, "a list of stories");
    (gen as unknown[]).forEach((s, k) => {
      if (typeof s !== "string") fail(`stories.${t}.${k}`, s, "a string");
    });
  });
  // A sequence run longer than its chain ends in empty timesteps (every agent has written):
  // dropped.
  const sizes = (stories as unknown[][]).map((gen) => gen.length);
  const written =
    sizes[0] === 1 ? (sizes.indexOf(0) === -1 ? sizes.length : sizes.indexOf(0)) : sizes.length;
  const mode =
    sizes.slice(0, written).every((s) => s === 1) && sizes.slice(written).every((s) => s === 0)
      ? "chain"
      : "network";
  if (mode === "network" && sizes[0] === 1) {
    // It starts as a sequence: name the timestep that breaks the pattern.
    const t = sizes.findIndex((s, i) => (i < written ? s !== 1 : s !== 0));
    fail(
      `stories.${t}`,
      `${sizes[t]} stories`,
      t < written
        ? "1 (a sequence: one story per timestep)"
        : "0: in a sequence, the timesteps after the first empty one are empty",
    );
  } else if (mode === "network") {
    const t = sizes.findIndex((s) => s !== n);
    if (t >= 0)
      fail(
        `stories.${t}`,
        `${sizes[t]} stories`,
        `${n} (one per agent of adjacency_matrix) or, for a sequence, 1 in every timestep`,
      );
  } else if (written > n) {
    fail(
      "stories",
      `${written} timesteps`,
      `at most ${n} in a sequence (agent t writes at timestep t)`,
    );
  }
  const output = {
    ...(data as unknown as LlmCultureOutput),
    stories: (stories as string[][]).slice(0, written),
  };
  return {
    output,
    mode,
    selfLoops,
    ignoredKeys: Object.keys(data).filter(
      (k) => !(KEYS as readonly string[]).includes(k) && !OPTIONAL_KEYS.includes(k),
    ),
  };
}

export function readLlmCultureFile(
  path: string,
): ReturnType<typeof parseLlmCultureOutput> & { sha256: string } {
  const text = readFileSync(path, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LlmCultureInputError(
      path,
      "(file)",
      basename(path),
      `valid JSON (${(error as Error).message})`,
    );
  }
  return {
    ...parseLlmCultureOutput(raw, path),
    sha256: createHash("sha256").update(text).digest("hex"),
  };
}

export interface ImportResult {
  dir: string;
  mode: "network" | "chain";
  agents: number;
  generations: number;
  /** metrics.jsonl's rows, as written. */
  metrics: Record<string, unknown>[];
}

/**
 * Turns an LLM-Culture output file into an Agora run directory of the transmission scenario that
 * `agora serve` replays: run-started (the graph from adjacency_matrix), agent-created, one `text`
 * interaction per story, `lineage` interactions, the generation metrics (our metrics module) and
 * run-ended; manifest.json says where the texts came from. Ids: agent k is `1_{k+1}`. `fit`:
 * "seen" fits TF-IDF on generations 1..g as a live run does; "run" on every story, as LLM-Culture.
 */
export async function importLlmCulture(
  file: string,
  outDir: string,
  metricsOptions: Partial<TextMetricsOptions> = {},
  fit: "seen" | "run" = "seen",
): Promise<ImportResult> {
  const { output, mode, selfLoops, ignoredKeys, sha256 } = readLlmCultureFile(file);
  const options = textMetricsOptionsSchema.parse(metricsOptions);
  const n = output.adjacency_matrix.length;
  const ids = output.adjacency_matrix.map((_, k) => agentId(1, k + 1));
  const generations = output.stories.length;
  // A sequence's initial story is its chain's seed text (the first prompt ends with it); a network
  // has no seeds, so there it is only recorded.
  const seed =
    mode === "chain" && output.initial_story !== undefined && output.initial_story !== ""
      ? output.initial_story
      : undefined;
  const transmission: TransmissionConfig = transmissionConfigSchema.parse({
    mode,
    ...(mode === "chain" ? { chains: 1 } : {}),
    ...(seed !== undefined ? { seeds: [seed] } : {}),
    initial: output.prompt_init[0],
    transformation: output.prompt_update[0],
    layout: "llm-culture",
    personaList: output.personality_list,
    metrics: options,
  });
  // Agora's graphs have no self-loops: the diagonal is left out of the graph and the inputs below
  // carry it instead.
  const graphConfig = {
    type: "adjacency" as const,
    matrix: output.adjacency_matrix.map((row, i) => row.map((v, j) => (i === j ? 0 : v))),
  };
  const graph = buildSocialGraph(graphConfig, ids, new Rng(0).derive("graph"), {
    path: "adjacency_matrix",
  });
  const stats = graphStats(graph);
  // Not a runnable config (the model is unknown): a record of what the file describes.
  const config = {
    scenario: "transmission",
    seed: 0,
    generations,
    population: { size: n, minds: [{ count: n, imported: "llm-culture" }] },
    graph: graphConfig,
    transmission,
    importedFrom: {
      format: "llm-culture",
      file: basename(file),
      sha256,
      ignoredKeys,
      tfidfFit: fit,
      ...(selfLoops > 0 ? { selfLoops } : {}),
      ...(output.initial_story !== undefined ? { initialStory: output.initial_story } : {}),
      ...(output.format_prompt !== undefined ? { formatPrompt: output.format_prompt } : {}),
    },
  };
  const hash = configHash(config as unknown as ResolvedConfig);
  const dir = resolve(outDir);
  const runId = basename(dir);
  const at = new Date().toISOString();
  const recorder = RunRecorder.create(dir);
  let seq = 0;
  const emit = (events: EventInput[]) =>
    recorder.appendEvents(
      events.map((e) => ({ v: EVENT_VERSION, seq: seq++, at, ...e }) as AgoraEvent),
    );
  const manifest: Manifest & { importedFrom: typeof config.importedFrom } = {
    runId,
    scenario: "transmission",
    status: "running",
    seed: 0,
    configHash: hash,
    config,
    agoraVersion: AGORA_VERSION,
    gitCommit: gitCommit(),
    node: process.version,
    minds: [{ kind: "llm", name: IMPORTED_MIND.name, count: n, note: IMPORTED_NOTE }],
    graphStats: { ...stats },
    startedAt: at,
    endedAt: null,
    generationsCompleted: 0,
    totals: emptyTotals(),
    cache: { mode: "off", dir: "", hits: 0, misses: 0 },
    resumes: [],
    importedFrom: config.importedFrom,
  };
  recorder.writeManifest(manifest);

  emit([
    {
      type: "run-started",
      t: { generation: 1 },
      runId,
      scenario: "transmission",
      seed: 0,
      configHash: hash,
      config,
      graph: compactGraph(graph),
      graphStats: { ...stats },
      agoraVersion: AGORA_VERSION,
      time: TIME.map((c) => ({ ...c })),
      interactions: { ...INTERACTIONS },
    },
    ...output.personality_list.map((persona, k): EventInput => ({
      type: "agent-created",
      t: { generation: 1 },
      agent: {
        id: ids[k]!,
        generation: 1,
        parents: [],
        mind: IMPORTED_MIND,
        strategy: persona,
        slot: ids[k]!,
      },
    })),
  ]);

  // In-neighbours in slot order (LLM-Culture's prompts list them in networkx's neighbour order),
  // the agent itself last when it has a self-loop (the telephone game adds those after the rest).
  const inNeighbours = ids.map((_, j) => [
    ...ids.filter((_, i) => i !== j && output.adjacency_matrix[i]![j] !== 0),
    ...(output.adjacency_matrix[j]![j] !== 0 ? [ids[j]!] : []),
  ]);
  const initial = seed !== undefined ? [{ agentId: "seed-0", chain: 0, text: seed }] : [];
  const history: AuthoredText[][] = [];
  const rows: Record<string, unknown>[] = [];
  for (let g = 1; g <= generations; g++) {
    const t = mode === "chain" ? { generation: g, chain: 0 } : { generation: g };
    const texts: AuthoredText[] = output.stories[g - 1]!.map((text, k) => ({
      agentId: ids[mode === "chain" ? g - 1 : k]!,
      text,
      // A network's texts sit at their agent's node, which the spread metrics measure from.
      ...(mode === "chain" ? { chain: 0 } : { slot: ids[k]! }),
    }));
    const previous = new Map((history[g - 2] ?? []).map((p) => [p.agentId, p]));
    const inputsOf = (agentId: string) =>
      g === 1 ? [] : inNeighbours[ids.indexOf(agentId)]!.filter((id) => previous.has(id));
    emit(
      texts.map((text): EventInput => {
        const persona = output.personality_list[ids.indexOf(text.agentId)]!;
        return {
          type: "interaction",
          kind: "text",
          t,
          from: text.agentId,
          to: null,
          mind: IMPORTED_MIND,
          data: {
            text: text.text,
            transformation: inputsOf(text.agentId).length === 0 ? "prompt_init" : "prompt_update",
            persona: persona.trim() === "" ? null : persona,
            inputs: inputsOf(text.agentId),
            ...(mode === "chain" ? { chain: 0 } : {}),
          },
        };
      }),
    );
    const parents = new Map(
      texts
        .flatMap((text) =>
          likelyParents(
            [text],
            inputsOf(text.agentId).map((id) => previous.get(id)!),
            options,
          ),
        )
        .map((p) => [p.agentId, p]),
    );
    emit(
      [...parents.values()].map((p): EventInput => ({
        type: "interaction",
        kind: "lineage",
        t,
        from: p.agentId,
        to: p.parent,
        mind: IMPORTED_MIND,
        data: { similarity: p.similarity, parentGeneration: g - 1 },
      })),
    );
    // The scenario's agents.jsonl columns, so imported and Agora runs load the same way.
    const agentRows = texts.map((text) => {
      const persona = output.personality_list[ids.indexOf(text.agentId)]!;
      const inputs = inputsOf(text.agentId);
      return {
        generation: g,
        agentId: text.agentId,
        slot: text.agentId,
        born: 1,
        mindKind: IMPORTED_MIND.kind,
        mind: IMPORTED_MIND.name,
        params: null,
        parents: [],
        persona,
        group: null,
        chain: text.chain ?? null,
        transformation: inputs.length === 0 ? "prompt_init" : "prompt_update",
        inputs,
        dropped: [],
        text: text.text,
        unusable: null,
        likelyParent: parents.get(text.agentId)?.parent ?? null,
        parentSimilarity: parents.get(text.agentId)?.similarity ?? null,
        replaced: false,
        llmCalls: null,
        tokensIn: null,
        tokensOut: null,
        cost: null,
      };
    });
    const fitCorpus = fit === "run" ? { fitCorpus: output.stories.flat() } : {};
    const values = {
      ...(await generationTextMetrics({
        generation: g,
        texts,
        history,
        options,
        ...(initial.length > 0 ? { initial } : {}),
        rng: new Rng(0).derive("metrics", g),
        // As a network run does (seed 0): how far generation 1's texts spread, one origin draw.
        ...(mode === "network"
          ? { network: { graph, origins: new Rng(0).derive("metrics", "origins") } }
          : {}),
        ...fitCorpus,
      })),
      textsUnusable: null,
      llmCalls: null,
      tokensIn: null,
      tokensOut: null,
      cost: null,
    };
    emit([
      { type: "metric", t: { generation: g }, scope: "generation", values },
      {
        type: "generation-ended",
        t: { generation: g },
        survivors: [...ids],
        removed: [],
        created: [],
        scores: {},
        agents: agentRows,
      },
    ]);
    rows.push({ generation: g, ...values });
    history.push(texts);
  }
  emit([{ type: "run-ended", t: { generation: generations }, status: "completed" }]);
  recorder.writeManifest({
    ...manifest,
    status: "completed",
    endedAt: new Date().toISOString(),
    generationsCompleted: generations,
  });
  recorder.close();
  return { dir, mode, agents: n, generations, metrics: rows };
}

/**
 * LLM-Culture's output JSON from a transmission run directory. Network mode: adjacency from
 * run-started's graph (node order = slots; an undirected edge fills both cells; weight attribute
 * or 1), stories[g-1][slot] from the `text` interactions. Chain mode: one chain (`chain`, required
 * when the run has several) as LLM-Culture's "sequence": the chain's agents joined by the directed
 * path 0 -> 1 -> ..., stories[g-1] = [that chain's text of generation g]. Prompts come from the
 * config's `initial` and `transformation` (group prompts are not represented), personalities are
 * the slots' persona texts.
 */
export function exportLlmCulture(
  runDir: string,
  options: { chain?: number } = {},
): LlmCultureOutput {
  const events = readEventLog(runDir);
  const started = events.find(
    (e): e is Extract<AgoraEvent, { type: "run-started" }> => e.type === "run-started",
  );
  if (!started) throw new Error(`${runDir}: no run-started event in ${eventLogPath(runDir)}`);
  if (started.scenario !== "transmission")
    throw new Error(
      `${runDir}: scenario is "${started.scenario}", expected "transmission" (only transmission runs have stories)`,
    );
  const section = (started.config as { transmission: TransmissionConfig }).transmission;
  const recorded = serializedGraph(started.graph);
  const slots = recorded.nodes.map((node) => node.key);
  const slotOf = new Map<string, string>();
  for (const e of events) if (e.type === "agent-created") slotOf.set(e.agent.id, e.agent.slot);
  const texts = events.filter(
    (e): e is Extract<AgoraEvent, { type: "interaction" }> =>
      e.type === "interaction" && e.kind === "text",
  );
  const generations = Math.max(0, ...texts.map((e) => e.t.generation));
  const template = (
    value: string,
    custom: Record<string, string>,
    library: Record<string, string>,
    path: string,
  ) => resolveTemplate(value, custom, library, path).template;
  const prompts = {
    prompt_init: [
      template(section.initial, section.initials, INITIAL_PROMPTS, "transmission.initial"),
    ],
    prompt_update: [
      template(
        section.transformation,
        section.transformations,
        TRANSFORMATIONS,
        "transmission.transformation",
      ),
    ],
  };

  if (section.mode === "chain") {
    const count = chainCount(section);
    const chain = options.chain ?? (count === 1 ? 0 : undefined);
    if (chain === undefined || !Number.isInteger(chain) || chain < 0 || chain >= count)
      throw new LlmCultureInputError(
        runDir,
        "--chain",
        chain,
        `a chain from 0 to ${count - 1} (LLM-Culture's sequence layout holds one chain)`,
      );
    // The chain's agents are consecutive slots (see chains.ts).
    const length = slots.length / count;
    const members = slots.slice(chain * length, (chain + 1) * length);
    const stories: string[][] = [];
    for (let g = 1; g <= generations; g++) {
      const text = texts.find((e) => e.t.generation === g && Number(e.data.chain ?? 0) === chain);
      if (!text) throw new Error(`${runDir}: chain ${chain} has no text in generation ${g}`);
      stories.push([storyOf(runDir, text)]);
    }
    return {
      adjacency_matrix: members.map((_, i) => members.map((_, j) => (j === i + 1 ? 1 : 0))),
      ...prompts,
      personality_list: members.map((_, i) => personaText(section, chain * length + i)),
      stories,
    };
  }

  const index = new Map(slots.map((key, i) => [key, i]));
  const matrix = slots.map(() => slots.map(() => 0));
  const undirectedGraph = recorded.options?.type === "undirected";
  for (const edge of recorded.edges) {
    const [i, j] = [index.get(edge.source)!, index.get(edge.target)!];
    const w = typeof edge.attributes?.weight === "number" ? edge.attributes.weight : 1;
    matrix[i]![j] = w;
    if (undirectedGraph || edge.undirected) matrix[j]![i] = w;
  }
  const stories: string[][] = [];
  for (let g = 1; g <= generations; g++) {
    const row: (string | undefined)[] = slots.map(() => undefined);
    for (const e of texts)
      if (e.t.generation === g) row[index.get(slotOf.get(e.from) ?? e.from)!] = storyOf(runDir, e);
    const missing = row.findIndex((s) => s === undefined);
    if (missing >= 0)
      throw new Error(
        `${runDir}: generation ${g} has no text from slot ${slots[missing]} (LLM-Culture's layout needs one story per agent and timestep)`,
      );
    stories.push(row as string[]);
  }
  return {
    adjacency_matrix: matrix,
    ...prompts,
    personality_list: slots.map((_, i) => personaText(section, i)),
    stories,
  };
}

/**
 * A text event's story. An unusable text (`text: null`) has no place in a format with one story
 * per agent and timestep, and writing a placeholder would pass it off as a story: export fails.
 */
function storyOf(runDir: string, e: Extract<AgoraEvent, { type: "interaction" }>): string {
  if (typeof e.data.text === "string") return e.data.text;
  const chain = e.data.chain === undefined ? "" : `, chain ${String(e.data.chain)}`;
  throw new Error(
    `${runDir}: ${e.from}'s text of generation ${e.t.generation}${chain} is unusable (${String(e.data.unusable ?? "no text")}); ` +
      "LLM-Culture's layout needs a story for every agent and timestep",
  );
}

/**
 * The persona text of the agent in slot `i`: personaList, else its group's persona, else the
 * section's.
 */
function personaText(section: TransmissionConfig, i: number): string {
  // An entry may name a persona: LLM-Culture's file holds the text the prompt was built from.
  if (section.personaList)
    return resolvePersona(
      section.personaList[i] ?? "",
      section.personas,
      `transmission.personaList.${i}`,
    ).text;
  let start = 0;
  for (const group of section.groups) {
    if (i < start + group.size) {
      if (group.persona !== undefined)
        return resolvePersona(group.persona, section.personas, "transmission.groups.persona").text;
      break;
    }
    start += group.size;
  }
  return resolvePersona(section.persona, section.personas, "transmission.persona").text;
}

/** Writes the file as LLM-Culture does (json.dump with indent=4). */
export function writeLlmCultureFile(path: string, output: LlmCultureOutput): void {
  writeFileSync(path, `${JSON.stringify(output, null, 4)}\n`);
}
