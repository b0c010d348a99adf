import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgoraEvent } from "../../../sim/core/events.js";
import { serializedGraph } from "../../../sim/core/graph/compact.js";
import { startRun } from "../../../sim/app/run.js";
import { startServer } from "../../../sim/app/server/index.js";
import {
  exportLlmCulture,
  importLlmCulture,
  parseLlmCultureOutput,
  readLlmCultureFile,
  writeLlmCultureFile,
  type LlmCultureOutput,
} from "../interop/llm-culture.js";
import {
  betweenGenerationMatrix,
  generationTextMetrics,
  DEFAULT_TEXT_METRICS_OPTIONS,
} from "../metrics/index.js";
import {
  ofType,
  readEvents,
  readJson,
  readJsonlStrict,
  ROOT,
  runCli,
  tempDir,
} from "../../../tests/support/llm-helpers.js";

const FIXTURES = join(ROOT, "tests", "fixtures", "llm-culture");
const NETWORK = join(FIXTURES, "network-cycle4.json");
const SEQUENCE = join(FIXTURES, "sequence-path4.json");
const fixture = (path: string): LlmCultureOutput =>
  JSON.parse(readFileSync(path, "utf8")) as LlmCultureOutput;
const texts = (events: AgoraEvent[]) =>
  ofType(events, "interaction").filter((e) => e.kind === "text");

let scratch: ReturnType<typeof tempDir>;
beforeAll(() => {
  scratch = tempDir("interop");
});
afterAll(() => scratch.cleanup());

describe("import llm-culture", () => {
  it("turns a network file into a transmission run directory", async () => {
    const dir = join(scratch.path, "runs", "network");
    const result = await importLlmCulture(NETWORK, dir);
    expect(result).toMatchObject({ mode: "network", agents: 4, generations: 3 });
    const events = readEvents(dir);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));

    const [started] = ofType(events, "run-started");
    expect(started!.scenario).toBe("transmission");
    // nx.cycle_graph(4): undirected edges 0-1, 1-2, 2-3, 0-3.
    const graph = serializedGraph(started!.graph);
    expect(graph.options?.type).toBe("undirected");
    expect(graph.edges.map((e) => `${e.source}--${e.target}`).sort()).toEqual([
      "g1-a1--g1-a2",
      "g1-a1--g1-a4",
      "g1-a2--g1-a3",
      "g1-a3--g1-a4",
    ]);

    const created = ofType(events, "agent-created");
    expect(created.map((e) => e.agent.id)).toEqual(["g1-a1", "g1-a2", "g1-a3", "g1-a4"]);
    expect(created[1]!.agent.strategy).toBe(
      "For what follows, pretend that you are a very creative person.",
    );
    for (const e of created)
      expect(e.agent.mind).toEqual({ kind: "llm", name: "llm-culture-import" });

    const stories = fixture(NETWORK).stories;
    const written = texts(events);
    expect(written).toHaveLength(12);
    expect(written.map((e) => e.data.text)).toEqual(stories.flat());
    const g2a1 = written.find((e) => e.t.generation === 2 && e.from === "g1-a1")!;
    expect(g2a1.data).toMatchObject({
      inputs: ["g1-a2", "g1-a4"],
      transformation: "prompt_update",
      persona: null,
    });
    expect(written.find((e) => e.t.generation === 1 && e.from === "g1-a2")!.data).toMatchObject({
      inputs: [],
      transformation: "prompt_init",
      persona: expect.stringContaining("creative"),
    });

    // Lineage: each agent's parent is among the agents it heard in the previous generation.
    const lineage = ofType(events, "interaction").filter((e) => e.kind === "lineage");
    expect(lineage).toHaveLength(8);
    for (const e of lineage) {
      const heard = written.find((w) => w.from === e.from && w.t.generation === e.t.generation)!
        .data.inputs as string[];
      expect(heard).toContain(e.to);
      expect(e.data.parentGeneration).toBe(e.t.generation - 1);
    }
    // Agent g1-a2 in generation 2 (whale and pear) hears g1-a1 (the whale) and g1-a3 (the pear and
    // the
    // foxes).
    expect(lineage.find((e) => e.from === "g1-a2" && e.t.generation === 2)!.to).toBe("g1-a3");

    const metricEvents = ofType(events, "metric");
    const rows = readJsonlStrict<Record<string, unknown>>(join(dir, "metrics.jsonl"));
    expect(rows.map((r) => r.generation)).toEqual([1, 2, 3]);
    metricEvents.forEach((e, i) => expect({ generation: i + 1, ...e.values }).toEqual(rows[i]));
    const direct = await generationTextMetrics({
      generation: 3,
      texts: stories[2]!.map((text, k) => ({ agentId: `g1-a${k + 1}`, text })),
      history: stories
        .slice(0, 2)
        .map((gen) => gen.map((text, k) => ({ agentId: `g1-a${k + 1}`, text }))),
      options: DEFAULT_TEXT_METRICS_OPTIONS,
    });
    expect(rows[2]).toMatchObject(direct);
    expect(rows[2]!.llmCalls).toBeNull();

    const agentRows = readJsonlStrict<Record<string, unknown>>(join(dir, "agents.jsonl"));
    expect(agentRows).toHaveLength(12);
    expect(agentRows[5]).toMatchObject({
      generation: 2,
      agentId: "g1-a2",
      text: stories[1]![1],
      inputs: ["g1-a1", "g1-a3"],
      likelyParent: "g1-a3",
      mindKind: "llm",
      mind: "llm-culture-import",
    });

    expect(ofType(events, "run-ended")[0]!.status).toBe("completed");
    const manifest = readJson<Record<string, any>>(join(dir, "manifest.json"));
    expect(manifest).toMatchObject({
      status: "completed",
      scenario: "transmission",
      generationsCompleted: 3,
      importedFrom: { format: "llm-culture", file: "network-cycle4.json" },
    });
    expect(manifest.minds).toEqual([
      {
        kind: "llm",
        name: "llm-culture-import",
        count: 4,
        note: expect.stringContaining("imported"),
      },
    ]);
  });

  it("fits TF-IDF on the whole run with fit 'run', giving LLM-Culture's between-generation matrix", async () => {
    const dir = join(scratch.path, "runs", "network-run-fit");
    const { metrics } = await importLlmCulture(NETWORK, dir, {}, "run");
    const matrix = betweenGenerationMatrix(fixture(NETWORK).stories, "english");
    expect(metrics[2]!.similarityWithinSelf).toBeCloseTo(matrix[2]![2]!, 12);
    expect(metrics[2]!.similarityPrevious).toBeCloseTo(matrix[1]![2]!, 12);
    expect(metrics[2]!.similarityFirst).toBeCloseTo(matrix[0]![2]!, 12);
    const seen = readJsonlStrict<Record<string, number>>(
      join(scratch.path, "runs", "network", "metrics.jsonl"),
    );
    // Generations 1-2 alone give other idf weights than the whole run.
    expect(
      Math.abs(seen[1]!.similarityWithinSelf! - (metrics[1]!.similarityWithinSelf as number)),
    ).toBeGreaterThan(1e-6);
  });

  it("imports a sequence (transmission chain): agent t writes at timestep t and hears agent t-1", async () => {
    const dir = join(scratch.path, "runs", "sequence");
    const result = await importLlmCulture(SEQUENCE, dir);
    expect(result).toMatchObject({ mode: "chain", agents: 4, generations: 4 });
    const events = readEvents(dir);
    const [started] = ofType(events, "run-started");
    expect(serializedGraph(started!.graph).options?.type).toBe("directed");
    expect((started!.config as { transmission: { mode: string } }).transmission.mode).toBe("chain");
    const written = texts(events);
    expect(written.map((e) => [e.t, e.from, e.data.inputs, e.data.chain])).toEqual([
      [{ generation: 1, chain: 0 }, "g1-a1", [], 0],
      [{ generation: 2, chain: 0 }, "g1-a2", ["g1-a1"], 0],
      [{ generation: 3, chain: 0 }, "g1-a3", ["g1-a2"], 0],
      [{ generation: 4, chain: 0 }, "g1-a4", ["g1-a3"], 0],
    ]);
    const rows = readJsonlStrict<Record<string, unknown>>(join(dir, "metrics.jsonl"));
    expect(rows[0]!.similarityWithin).toBeNull(); // one text per generation
    expect(rows[1]!.similarityPrevious).toBeGreaterThan(rows[3]!.similarityFirst as number);
  });

  it("is listed by the viewer's server as a recorded transmission run", async () => {
    const server = await startServer({ runsDir: join(scratch.path, "runs"), port: 0 });
    try {
      const runs = (await (
        await fetch(`${server.url.replace(/\/?(\?.*)?$/, "")}/api/runs`)
      ).json()) as { id: string; scenario: string; status: string }[];
      expect(runs.find((r) => r.id === "sequence")).toMatchObject({
        scenario: "transmission",
        status: "completed",
      });
    } finally {
      await server.close();
    }
  });
});

describe("export llm-culture", () => {
  it.each([
    ["network", NETWORK],
    ["sequence", SEQUENCE],
  ])(
    "gives back the %s file's stories, adjacency, prompts and personalities",
    async (name, path) => {
      const dir = join(scratch.path, "roundtrip", name);
      await importLlmCulture(path, dir);
      expect(exportLlmCulture(dir)).toEqual(fixture(path));
    },
  );

  it("round-trips through the CLI", async () => {
    const dir = join(scratch.path, "cli-run");
    const out = join(scratch.path, "cli-export.json");
    const imported = await runCli(["import", "llm-culture", NETWORK, "--out", dir]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("imported network: 4 agent(s), 3 generation(s)");
    const exported = await runCli(["export", "llm-culture", dir, "--out", out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(fixture(NETWORK));
  });

  it("exports a transmission run that imports back to the same metrics and file", async () => {
    const config = join(scratch.path, "cycle.yaml");
    writeFileSync(
      config,
      [
        "scenario: transmission",
        "seed: 4",
        "generations: 3",
        "population: { size: 6, minds: [{ count: 6, policy: text-operators }] }",
        "graph: { type: cycle }",
        "transmission: { transformation: combine, persona: creative }",
        "",
      ].join("\n"),
    );
    const run = await startRun(config, { out: join(scratch.path, "own-cycle") });
    expect(run.status).toBe("completed");
    const exported = exportLlmCulture(run.dir);
    expect(exported.stories).toHaveLength(3);
    expect(exported.stories.flat()).toEqual(texts(readEvents(run.dir)).map((e) => e.data.text));
    expect(exported.personality_list).toEqual(
      Array(6).fill("For what follows, pretend that you are a very creative person."),
    );
    expect(exported.prompt_update[0]).toMatch(
      /^You will receive stories\. Pick the two stories you prefer/,
    );
    const file = join(scratch.path, "own-cycle.json");
    writeLlmCultureFile(file, exported);
    const back = await importLlmCulture(file, join(scratch.path, "own-cycle-back"));
    expect(exportLlmCulture(back.dir)).toEqual(exported);
    const original = readJsonlStrict<Record<string, unknown>>(join(run.dir, "metrics.jsonl"));
    for (const [i, row] of back.metrics.entries()) {
      for (const key of [
        "similarityWithin",
        "similarityWithinSelf",
        "similarityPrevious",
        "similarityFirst",
        "similarityToGen1",
        "clusters",
        "positivity",
        "fog",
        "words",
        "cumulativeChange",
      ]) {
        expect(row[key], `${key} in generation ${i + 1}`).toEqual(original[i]![key]);
      }
    }
  });

  it("exports one chain of a chain run as LLM-Culture's sequence", async () => {
    const config = join(scratch.path, "chains.yaml");
    writeFileSync(
      config,
      [
        "scenario: transmission",
        "seed: 2",
        "generations: 3",
        "population: { size: 6, minds: [{ count: 6, policy: text-operators }] }",
        "graph: { type: paths, count: 2 }",
        "transmission:",
        "  mode: chain",
        '  seeds: ["The first seed story is about a cat.", "The second seed story is about a boat."]',
        "",
      ].join("\n"),
    );
    const run = await startRun(config, { out: join(scratch.path, "own-chains") });
    expect(run.status).toBe("completed");
    expect(() => exportLlmCulture(run.dir)).toThrow(
      /--chain: got nothing, expected a chain from 0 to 1/,
    );
    const exported = exportLlmCulture(run.dir, { chain: 1 });
    expect(exported.adjacency_matrix).toEqual([
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    const chainTexts = texts(readEvents(run.dir)).filter((e) => e.data.chain === 1);
    expect(exported.stories).toEqual(chainTexts.map((e) => [e.data.text]));
  });

  it("refuses a run of another scenario", async () => {
    const dir = join(scratch.path, "donor");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "events.jsonl"),
      `${JSON.stringify({ v: 1, seq: 0, type: "run-started", t: { generation: 1 }, at: "", scenario: "donor-game", config: {}, graph: { nodes: [], edges: [] } })}\n`,
    );
    expect(() => exportLlmCulture(dir)).toThrow(
      /scenario is "donor-game", expected "transmission"/,
    );
  });
});

describe("bad LLM-Culture files", () => {
  const good = () => structuredClone(fixture(NETWORK)) as unknown as Record<string, any>;
  const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
    ["a missing key", (d) => delete d.stories, /stories: got nothing, expected this key/],
    ["a ragged timestep", (d) => d.stories[1].pop(), /stories\.1: got "3 stories", expected 4/],
    [
      "a story that is not text",
      (d) => (d.stories[0][2] = 7),
      /stories\.0\.2: got 7, expected a string/,
    ],
    [
      "a short matrix row",
      (d) => d.adjacency_matrix[2].pop(),
      /adjacency_matrix\.2: got \[.*\], expected a row of 4 numbers/,
    ],
    [
      "an initial story that is not text",
      (d) => (d.initial_story = ["A story."]),
      /initial_story: got \["A story\."\], expected a string/,
    ],
    [
      "a format prompt that is not a list",
      (d) => (d.format_prompt = "##TEXT##"),
      /format_prompt: got "##TEXT##", expected a list of strings/,
    ],
    [
      "a negative weight",
      (d) => (d.adjacency_matrix[0][1] = -1),
      /adjacency_matrix\.0\.1: got -1, expected a weight >= 0/,
    ],
    [
      "too few personalities",
      (d) => d.personality_list.pop(),
      /personality_list: got .*, expected a list of 4 strings/,
    ],
    [
      "a prompt that is not a list",
      (d) => (d.prompt_init = "Create a story."),
      /prompt_init: got "Create a story\.", expected a list of strings/,
    ],
  ];
  it.each(cases)("names the field for %s", (_, spoil, message) => {
    const data = good();
    spoil(data);
    expect(() => parseLlmCultureOutput(data, "bad.json")).toThrow(message);
  });

  it("drops the empty timesteps that end a sequence longer than its chain", () => {
    const data = structuredClone(fixture(SEQUENCE)) as unknown as Record<string, any>;
    data.stories.push([], []);
    const parsed = parseLlmCultureOutput(data, "long.json");
    expect(parsed.mode).toBe("chain");
    expect(parsed.output.stories).toEqual(fixture(SEQUENCE).stories);
    data.stories.push(["one more"]);
    expect(() => parseLlmCultureOutput(data, "gap.json")).toThrow(
      /gap\.json: stories\.6: got "1 stories", expected 0: in a sequence/,
    );
  });

  it("tolerates extra keys and reports them", () => {
    const data = { ...good(), seed: 3 };
    expect(parseLlmCultureOutput(data, "x.json").ignoredKeys).toEqual(["seed"]);
  });

  it("exits 2 from the CLI with the file and field named", async () => {
    const path = join(scratch.path, "bad.json");
    const data = good();
    data.stories[2][0] = null;
    writeFileSync(path, JSON.stringify(data));
    const result = await runCli([
      "import",
      "llm-culture",
      path,
      "--out",
      join(scratch.path, "bad-run"),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}: stories.2.0: got null, expected a string`);
  });

  it("says when the file is not JSON", () => {
    const path = join(scratch.path, "broken.json");
    writeFileSync(path, "{ not json");
    expect(() => readLlmCultureFile(path)).toThrow(/broken\.json: \(file\): .*expected valid JSON/);
  });
});
