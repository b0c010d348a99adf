/**
 * The transmission scenario end to end: the CLI runs LLM agents through ChatOpenAI against the
 * local
 * fake OpenAI server, and the prompts the server received are checked against the social graph.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../../../sim/core/events.js";
import { serializedGraph } from "../../../sim/core/graph/compact.js";
import { ofType, readEvents, runCli, writeConfig } from "../../../tests/support/llm-helpers.js";
import {
  distinctPersonas,
  promptsByStory,
  receivedTexts,
  storyWorkspace,
  textsWritten,
  transmissionLlmConfig,
} from "../../../tests/support/transmission-helpers.js";

const workspace = storyWorkspace();

/**
 * Runs a transmission config on a fresh fake endpoint; returns the events and the server's record.
 */
async function run(
  options: Omit<Parameters<typeof transmissionLlmConfig>[0], "baseURL" | "cacheDir">,
) {
  const { dir, fake } = await workspace.start();
  const config = writeConfig(
    dir,
    "run.yaml",
    transmissionLlmConfig({ baseURL: fake.baseURL, cacheDir: join(dir, "cache"), ...options }),
  );
  const out = join(dir, "run");
  const result = await runCli(["run", config, "--out", out, "--quiet"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return {
    events: readEvents(out),
    prompts: promptsByStory(fake.requests),
    requests: fake.requests,
  };
}

/**
 * For every text of generation >= 2: the texts its prompt contained (as the server got it) and the
 * texts it should have.
 */
function heardVersusExpected(
  events: AgoraEvent[],
  prompts: Map<string, string>,
  expectedAuthors: (agentId: string, generation: number) => string[],
) {
  const written = textsWritten(events);
  return [...written.values()]
    .filter((w) => w.generation >= 2)
    .map((w) => ({
      who: `${w.generation}:${w.agentId}`,
      heard: receivedTexts(prompts.get(w.text!)!).map((r) => r.text),
      expected: expectedAuthors(w.agentId, w.generation).map(
        (author) => written.get(`${w.generation - 1}:${author}`)!.text,
      ),
    }));
}

// A directed, non-symmetric, weighted graph: row = source, column = target.
//   0 <- 3 (w1), 4 (w3);  1 <- 0;  2 <- 0 (w1), 1 (w2);  3 <- 2 (w2), 4 (w2);  4 <- 1
const MATRIX = [
  [0, 1, 1, 0, 0],
  [0, 0, 2, 0, 1],
  [0, 0, 0, 2, 0],
  [1, 0, 0, 0, 0],
  [3, 0, 0, 2, 0],
];
const id = (i: number) => `g1-a${i + 1}`;

describe("network mode through ChatOpenAI", () => {
  it("each prompt holds exactly the in-neighbours' previous texts, in slot order (directed graph)", async () => {
    const { events, prompts, requests } = await run({
      size: 5,
      generations: 3,
      graph: { type: "adjacency", matrix: MATRIX },
      transmission: { personaList: distinctPersonas(5) },
    });
    expect(requests).toHaveLength(15);
    const inSlotOrder: Record<string, number[]> = {
      "g1-a1": [3, 4],
      "g1-a2": [0],
      "g1-a3": [0, 1],
      "g1-a4": [2, 4],
      "g1-a5": [1],
    };
    const checks = heardVersusExpected(events, prompts, (agent) => inSlotOrder[agent]!.map(id));
    expect(checks).toHaveLength(10);
    for (const c of checks) expect(c.heard, c.who).toEqual(c.expected);
    // Generation 1 wrote from the initial prompt alone; the events name the inputs in prompt order.
    for (const w of textsWritten(events).values()) {
      if (w.generation === 1) expect(receivedTexts(prompts.get(w.text!)!)).toEqual([]);
      else expect(w.inputs).toEqual(inSlotOrder[w.agentId]!.map(id));
    }
    // Each later text names a likely parent among the texts it received.
    const lineage = ofType(events, "interaction").filter((e) => e.kind === "lineage");
    expect(lineage).toHaveLength(10);
    for (const e of lineage) expect(inSlotOrder[e.from]!.map(id)).toContain(e.to);
  });

  it("inputOrder weight puts the heaviest in-edge first, ties in slot order", async () => {
    const { events, prompts } = await run({
      size: 5,
      generations: 2,
      graph: { type: "adjacency", matrix: MATRIX },
      transmission: { personaList: distinctPersonas(5), inputOrder: "weight" },
    });
    const byWeight: Record<string, number[]> = {
      "g1-a1": [4, 3],
      "g1-a2": [0],
      "g1-a3": [1, 0],
      "g1-a4": [2, 4],
      "g1-a5": [1],
    };
    for (const c of heardVersusExpected(events, prompts, (agent) => byWeight[agent]!.map(id)))
      expect(c.heard, c.who).toEqual(c.expected);
  });

  it("turnover replaces the configured share each generation with newcomers that have no own text", async () => {
    const { events, prompts } = await run({
      size: 10,
      generations: 3,
      graph: { type: "cycle" },
      transmission: {
        personaList: distinctPersonas(10),
        socialLearning: { turnover: 0.3, memory: true },
      },
    });
    const created = ofType(events, "agent-created");
    const ended = ofType(events, "generation-ended");
    expect(ended.map((e) => e.removed.length)).toEqual([3, 3, 0]);
    for (const generation of [2, 3]) {
      const newcomers = created.filter((e) => e.t.generation === generation).map((e) => e.agent);
      expect(newcomers).toHaveLength(3);
      expect(newcomers.map((a) => a.id)).toEqual(ended[generation - 2]!.created);
      for (const a of newcomers) expect(a.parents).toEqual([]);
      // Each newcomer takes the place (slot) of an agent that left.
      const leftSlots = ended[generation - 2]!.removed.map(
        (gone) => created.find((e) => e.agent.id === gone)!.agent.slot,
      );
      expect(newcomers.map((a) => a.slot).sort()).toEqual(leftSlots.sort());
      // Under memory, stayers see their own previous text first; newcomers have none to see.
      for (const w of textsWritten(events).values()) {
        if (w.generation !== generation) continue;
        const labels = receivedTexts(prompts.get(w.text!)!).map((r) => r.label);
        expect(labels[0] === "Your previous text", w.agentId).toBe(
          !newcomers.some((a) => a.id === w.agentId),
        );
      }
    }
  });

  it("warns when a prompt of many neighbours' texts approaches the profile's context window", async () => {
    // The window holds the longest prompt (about 143 tokens by the fit's estimate) and 20 tokens of
    // answer, so nothing is trimmed (see transmission-messy.test.ts for prompts that do not fit).
    const { events, requests } = await run({
      size: 5,
      generations: 2,
      contextWindow: 200,
      profile: { maxTokens: 20 },
      transmission: { personaList: distinctPersonas(5), contextWarning: 0.5 },
    });
    const warnings = ofType(events, "warning");
    // Generation 1's prompts (persona + instruction, ~32 tokens) stay clear; generation 2's hold
    // four texts each.
    expect(warnings.map((w) => w.t.generation)).toEqual([2, 2, 2, 2, 2]);
    expect(warnings[0]!.message).toMatch(
      /g1-a1's prompt \(4 text\(s\)\) is about \d+ tokens \(characters \/ 3 \+ 4\), \d+% of profile "fake"'s contextWindow of 200/,
    );
    // A warning only: the calls are made with every text.
    expect(requests.slice(5).map((r) => receivedTexts(r.messages[0]!.content).length)).toEqual([
      4, 4, 4, 4, 4,
    ]);
  });
});

describe("chain mode through ChatOpenAI", () => {
  it("each agent sees only its predecessor's text (the seed first), chain by chain", async () => {
    const seeds = [
      "The first seed story is about a red boat.",
      "The second seed story is about a green hill.",
    ];
    const { events, prompts } = await run({
      size: 6,
      generations: 3,
      graph: { type: "paths", count: 2 },
      transmission: { mode: "chain", seeds, transformation: "rephrase" },
    });
    const written = [...textsWritten(events).values()];
    expect(written.map((w) => [w.generation, w.chain, w.agentId])).toEqual([
      [1, 0, "g1-a1"],
      [1, 1, "g1-a4"],
      [2, 0, "g1-a2"],
      [2, 1, "g1-a5"],
      [3, 0, "g1-a3"],
      [3, 1, "g1-a6"],
    ]);
    for (const w of written) {
      const predecessor = written.find(
        (p) => p.chain === w.chain && p.generation === w.generation - 1,
      );
      const heard = receivedTexts(prompts.get(w.text!)!).map((r) => r.text);
      expect(heard, w.agentId).toEqual([predecessor ? predecessor.text : seeds[w.chain!]!]);
      expect(w.inputs).toEqual(predecessor ? [predecessor.agentId] : []);
    }
    const textEvents = ofType(events, "interaction").filter((e) => e.kind === "text");
    expect(textEvents.map((e) => e.t.chain)).toEqual([0, 1, 0, 1, 0, 1]);
    // The recorded graph is exactly the links the agents heard along: predecessor -> writer,
    // nothing else.
    const heardLinks = written
      .flatMap((w) => w.inputs.map((from) => `${from}>${w.agentId}`))
      .sort();
    expect(heardLinks).toEqual(["g1-a1>g1-a2", "g1-a2>g1-a3", "g1-a4>g1-a5", "g1-a5>g1-a6"]);
    const graph = serializedGraph(ofType(events, "run-started")[0]!.graph);
    expect(graph.options?.type).toBe("directed");
    expect(graph.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(heardLinks);
  });
});
