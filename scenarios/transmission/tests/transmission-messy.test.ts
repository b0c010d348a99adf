/**
 * The transmission scenario against a messy model (tests/support/fake-openai.ts `messyScript`):
 * identical prompts sampled apart and replayed exactly, prompts too long for the profile's
 * contextWindow trimmed or refused, endpoints refusing with "context exceeded", empty and
 * unreadable answers, and structured (JSON) answers. Everything goes through the CLI, the real
 * runtime and ChatOpenAI; what cannot be used is counted (`textsUnusable`) and never passed on.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimatePromptTokens } from "../../../agents/context-fit.js";
import { exportLlmCulture } from "../interop/llm-culture.js";
import { DEFAULT_TEXT_METRICS_OPTIONS, generationTextMetrics } from "../metrics/index.js";
import type { AgoraEvent } from "../../../sim/core/events.js";
import { deriveTransmission, textOf } from "../view.js";
import {
  contextExceeded,
  messyScript,
  type ChatRequestRecord,
  type Reply,
  type Script,
} from "../../../tests/support/fake-openai.js";
import {
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  stableEvents,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";
import {
  distinctPersonas,
  receivedTexts,
  storyWorkspace,
  textsWritten,
  transmissionLlmConfig,
} from "../../../tests/support/transmission-helpers.js";

const workspace = storyWorkspace();

type Options = Omit<Parameters<typeof transmissionLlmConfig>[0], "baseURL" | "cacheDir"> & {
  script: Script;
};

/**
 * Runs a config on a fresh fake endpoint with `script`; `replay()` runs it again from the cache
 * with the endpoint closed.
 */
async function run({ script, ...options }: Options) {
  const { dir, fake } = await workspace.start();
  fake.setScript(script);
  const config = writeConfig(
    dir,
    "run.yaml",
    transmissionLlmConfig({ baseURL: fake.baseURL, cacheDir: join(dir, "cache"), ...options }),
  );
  const out = join(dir, "run");
  const result = await runCli(["run", config, "--out", out]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return {
    out,
    stdout: result.stdout,
    stderr: result.stderr,
    events: readEvents(out),
    requests: fake.requests,
    async replay(): Promise<AgoraEvent[]> {
      await workspace.closeEndpoint();
      const replayed = join(dir, "replay");
      const again = await runCli(["run", config, "--out", replayed, "--cache", "replay"]);
      expect(again.code, again.stderr).toBe(0);
      return readEvents(replayed);
    },
  };
}

const metricsOf = (
  events: readonly AgoraEvent[],
  generation: number,
): Record<string, number | null> =>
  ofType(events, "metric").find((e) => e.scope === "generation" && e.t.generation === generation)!
    .values;

const llmCalls = (events: readonly AgoraEvent[], generation: number) =>
  ofType(events, "llm-call").filter((e) => e.t.generation === generation);

const textEvents = (events: readonly AgoraEvent[], generation: number) =>
  ofType(events, "interaction").filter((e) => e.kind === "text" && e.t.generation === generation);

const userPrompt = (req: Pick<ChatRequestRecord, "messages">): string =>
  req.messages.find((m) => m.role === "user")!.content;

/**
 * The agent a request is from, by its persona (distinctPersonas: "storyteller number k" is agent
 * g1-ak).
 */
const agentOf = (req: Pick<ChatRequestRecord, "messages">): string =>
  `g1-a${/storyteller number (\d+)\./.exec(userPrompt(req))![1]}`;

describe("identical prompts are independent samples", () => {
  // Network mode, one persona for all: every generation-1 prompt is the same message.
  const size = 5;
  const base = { size, generations: 2, graph: { type: "complete" }, transmission: {} };

  it("without a profile seed: one request per agent, different texts, an exact replay", async () => {
    const { events, requests, replay } = await run({
      ...base,
      profile: { maxTokens: 30 },
      script: messyScript({ seed: 11, mode: "rambling" }),
    });
    const first = requests.slice(0, size);
    expect(new Set(first.map((r) => JSON.stringify(r.messages))).size).toBe(1);
    expect(requests).toHaveLength(2 * size);
    expect(
      requests.every((r) => r.body.response_format === undefined && r.body.seed === undefined),
    ).toBe(true);
    const texts = textEvents(events, 1).map((e) => e.data.text);
    expect(new Set(texts).size).toBe(size);
    const m = metricsOf(events, 1);
    expect(m.similarityWithin).toBeLessThan(1);
    expect(m.diversity).toBeGreaterThan(0);
    expect(m.textsUnusable).toBe(0);
    // Each agent's answer has its own cache entry: the replay (no server) gives every agent its own
    // text back.
    expect(stableEvents(await replay())).toEqual(stableEvents(events));
  });

  it("with a profile seed: each request carries its own seed, texts still differ, replay is exact", async () => {
    const { events, requests, replay } = await run({
      ...base,
      profile: { maxTokens: 30, seed: 42 },
      script: messyScript({ seed: 11, mode: "rambling" }),
    });
    const first = requests.slice(0, size);
    expect(new Set(first.map((r) => JSON.stringify(r.messages))).size).toBe(1);
    const seeds = first.map((r) => r.body.seed);
    expect(seeds.every((s) => Number.isInteger(s))).toBe(true);
    expect(new Set(seeds).size).toBe(size);
    // The llm-call events record the seeds sent.
    expect(new Set(llmCalls(events, 1).map((e) => e.seed))).toEqual(new Set(seeds));
    expect(new Set(textEvents(events, 1).map((e) => e.data.text)).size).toBe(size);
    expect(metricsOf(events, 1).similarityWithin).toBeLessThan(1);
    expect(metricsOf(events, 1).diversity).toBeGreaterThan(0);
    expect(stableEvents(await replay())).toEqual(stableEvents(events));
  });
});

describe("prompts longer than the profile's contextWindow", () => {
  // never-stop answers are exactly maxTokens (20) words, about 90 characters: a generation-2 prompt
  // of the combine instruction and k texts is about 60 + 33k tokens by the fit's estimate.
  const script = messyScript({ seed: 5, mode: "never-stop" });

  it("drops the own text first, then neighbours' texts from the end, and sends what fits", async () => {
    const contextWindow = 150;
    const maxTokens = 20;
    const { events, requests } = await run({
      size: 4,
      generations: 2,
      graph: { type: "complete" },
      contextWindow,
      profile: { maxTokens, seed: 9 },
      transmission: { socialLearning: { memory: true } },
      script,
    });
    const bySeed = new Map(requests.map((r) => [r.body.seed, r]));
    const calls = llmCalls(events, 2);
    const written = textsWritten(events);
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      // Own text and three neighbours' (about 190 tokens) never fit 130; one neighbour's always
      // does.
      expect(call.trimmed, call.agentId).toBeGreaterThanOrEqual(2);
      const sent = bySeed.get(call.seed)!;
      expect(
        estimatePromptTokens(sent.messages as { role: "user"; content: string }[]),
      ).toBeLessThanOrEqual(contextWindow - maxTokens);
      const heard = receivedTexts(userPrompt(sent));
      expect(heard).toHaveLength(4 - call.trimmed!);
      expect(heard.map((h) => h.label)).not.toContain("Your previous text");
      // The prompt holds the first neighbours in slot order, rebuilt with the same instruction.
      const neighbours = ["g1-a1", "g1-a2", "g1-a3", "g1-a4"].filter((id) => id !== call.agentId);
      const text = written.get(`2:${call.agentId}`)!;
      expect(text.inputs).toEqual(neighbours.slice(0, heard.length));
      expect(text.dropped).toEqual([call.agentId, ...neighbours.slice(heard.length)]);
      expect(heard.map((h) => h.text)).toEqual(
        text.inputs.map((id) => written.get(`1:${id}`)!.text),
      );
      expect(userPrompt(sent)).toContain("Pick the two stories you prefer");
    }
    // Lineage only among the texts actually sent.
    for (const e of ofType(events, "interaction").filter((e) => e.kind === "lineage"))
      expect(written.get(`2:${e.from}`)!.inputs).toContain(e.to);
    expect(metricsOf(events, 2).textsUnusable).toBe(0);
    expect(metricsOf(events, 2).meanInputs).toBe(calls.reduce((s, c) => s + 4 - c.trimmed!, 0) / 4);
  });

  it("refuses a prompt that cannot fit even one text before sending: counted, and the run goes on", async () => {
    const { out, events, requests } = await run({
      size: 4,
      generations: 3,
      graph: { type: "complete" },
      contextWindow: 80,
      profile: { maxTokens: 20 },
      transmission: {},
      script,
    });
    // Generation 1 (the initial prompt, ~22 tokens) and generation 3 are sent; no generation-2
    // prompt reaches the server.
    expect(requests).toHaveLength(8);
    expect(requests.every((r) => receivedTexts(userPrompt(r)).length === 0)).toBe(true);
    expect(llmCalls(events, 2)).toHaveLength(4);
    for (const call of llmCalls(events, 2))
      expect(call.failure).toMatchObject({ kind: "context-exceeded", sent: false });
    for (const e of textEvents(events, 2))
      expect(e.data).toMatchObject({ text: null, unusable: "context-exceeded" });
    expect(metricsOf(events, 2)).toMatchObject({
      textsUnusable: 4,
      llmContextExceeded: 4,
      similarityWithin: null,
      chars: null,
    });
    // Nothing usable was written in generation 2, so generation 3 hears nothing and starts again
    // from the initial prompt.
    expect(textEvents(events, 3).map((e) => [e.data.transformation, e.data.inputs])).toEqual(
      Array(4).fill(["story", []]),
    );
    expect(metricsOf(events, 3).textsUnusable).toBe(0);
    expect(ofType(events, "run-ended")[0]!.status).toBe("completed");
    const rows = readJsonlStrict<{
      generation: number;
      text: string | null;
      unusable: string | null;
    }>(join(out, "agents.jsonl"));
    expect(rows.filter((r) => r.generation === 2).map((r) => [r.text, r.unusable])).toEqual(
      Array(4).fill([null, "context-exceeded"]),
    );
  });
});

describe("unusable answers: counted, not measured, not passed on", () => {
  /** messy answers, except where `fail` gives another reply for an agent's request. */
  const withFailures = (
    options: Parameters<typeof messyScript>[0],
    fail: (agent: string, req: ChatRequestRecord) => Reply | undefined,
  ): Script => {
    const messy = messyScript(options);
    return (req, index) => fail(agentOf(req), req) ?? messy(req, index);
  };
  const USABLE = ["g1-a1", "g1-a3", "g1-a5"];

  it("network mode: the failed slots' neighbours receive nothing from them; metrics are over the usable texts", async () => {
    const { out, stdout, stderr, events, requests, replay } = await run({
      size: 5,
      generations: 2,
      graph: { type: "complete" },
      profile: { maxTokens: 30, seed: 3 },
      transmission: { personaList: distinctPersonas(5), socialLearning: { memory: true } },
      // First prompts only: g1-a2's is refused in vLLM's wording, g1-a4 answers white space.
      script: withFailures({ seed: 2, mode: "rambling" }, (agent, req) => {
        if (receivedTexts(userPrompt(req)).length > 0) return undefined;
        return agent === "g1-a2"
          ? contextExceeded("vllm")
          : agent === "g1-a4"
            ? { content: "  \n\t " }
            : undefined;
      }),
    });
    const first = textEvents(events, 1);
    expect(first.find((e) => e.from === "g1-a2")!.data).toMatchObject({
      text: null,
      unusable: "context-exceeded",
    });
    expect(first.find((e) => e.from === "g1-a4")!.data).toMatchObject({
      text: null,
      unusable: "empty",
    });
    expect(llmCalls(events, 1).find((e) => e.agentId === "g1-a2")!.failure).toMatchObject({
      kind: "context-exceeded",
      sent: true,
    });
    const m1 = metricsOf(events, 1);
    expect(m1).toMatchObject({ textsUnusable: 2, llmContextExceeded: 1 });
    // The progress line and the end-of-run summary name the count.
    expect(stderr).toMatch(
      /^generation 1\/2 done: .* unusable: textsUnusable=2 .*llmContextExceeded=1$/m,
    );
    expect(stdout).toMatch(/^unusable: textsUnusable=2 .*\(over all generations/m);
    // The text metrics are those of the three usable texts alone.
    const usable = first
      .filter((e) => typeof e.data.text === "string")
      .map((e) => ({ agentId: e.from, text: e.data.text as string }));
    expect(usable.map((t) => t.agentId)).toEqual(USABLE);
    const expected = await generationTextMetrics({
      generation: 1,
      texts: usable,
      history: [],
      options: DEFAULT_TEXT_METRICS_OPTIONS,
    });
    for (const [key, value] of Object.entries(expected)) expect(m1[key], key).toEqual(value);

    // Generation 2: only g1-a1, g1-a3 and g1-a5's texts go around (each agent's own first, under
    // memory).
    const usableTexts = new Set(usable.map((t) => t.text));
    for (const req of requests.filter((r) => receivedTexts(userPrompt(r)).length > 0)) {
      const agent = agentOf(req);
      const heard = receivedTexts(userPrompt(req));
      expect(
        heard.every((h) => usableTexts.has(h.text)),
        agent,
      ).toBe(true);
      expect(heard.length, agent).toBe(3);
      expect(heard[0]!.label === "Your previous text", agent).toBe(USABLE.includes(agent));
    }
    for (const e of textEvents(events, 2)) {
      const others = USABLE.filter((id) => id !== e.from);
      expect(e.data.inputs, e.from).toEqual(USABLE.includes(e.from) ? [e.from, ...others] : others);
    }
    expect(textEvents(events, 2).every((e) => typeof e.data.text === "string")).toBe(true);
    expect(metricsOf(events, 2)).toMatchObject({
      textsUnusable: 0,
      llmContextExceeded: 0,
      meanInputs: 3,
    });
    const rows = readJsonlStrict<{
      generation: number;
      agentId: string;
      text: string | null;
      unusable: string | null;
    }>(join(out, "agents.jsonl"));
    expect(
      rows.filter((r) => r.generation === 1 && r.text === null).map((r) => [r.agentId, r.unusable]),
    ).toEqual([
      ["g1-a2", "context-exceeded"],
      ["g1-a4", "empty"],
    ]);
    // The viewer shows the unusable text as such.
    const entries = ofType(events, "interaction").map(
      ({ seq, at, kind, from, to, mind, t, data }) => ({ seq, at, kind, from, to, mind, t, data }),
    );
    expect(textOf(deriveTransmission(undefined, entries), "g1-a2", 1)!.text).toBe(
      "(no usable text: context-exceeded)",
    );
    // The endpoint's refusal is cached like an answer: the replay refuses alike.
    expect(stableEvents(await replay())).toEqual(stableEvents(events));
  });

  it("chain mode: after an unusable text the chain passes on its last usable one", async () => {
    const seeds = [
      "A red boat sailed across the quiet bay at dawn.",
      "A green hill stood alone above the sleeping town.",
    ];
    const { out, events } = await run({
      size: 6,
      generations: 3,
      graph: { type: "paths", count: 2 },
      profile: { maxTokens: 30, seed: 4 },
      transmission: {
        mode: "chain",
        seeds,
        transformation: "rephrase",
        personaList: distinctPersonas(6),
      },
      // g1-a2 writes chain 0's generation-2 text: llama.cpp's server refuses its prompt.
      script: withFailures({ seed: 8, mode: "rambling" }, (agent) =>
        agent === "g1-a2" ? contextExceeded("llama.cpp") : undefined,
      ),
    });
    const written = [...textsWritten(events).values()];
    const chain0 = written.filter((w) => w.chain === 0);
    expect(chain0.map((w) => [w.agentId, w.text === null])).toEqual([
      ["g1-a1", false],
      ["g1-a2", true],
      ["g1-a3", false],
    ]);
    // g1-a3 hears g1-a1's generation-1 text, the chain's last usable one; its likely parent is that
    // text.
    expect(chain0[2]!.inputs).toEqual(["g1-a1"]);
    const lineage = ofType(events, "interaction").filter(
      (e) => e.kind === "lineage" && e.from === "g1-a3",
    );
    expect(lineage.map((e) => [e.to, e.data.parentGeneration])).toEqual([["g1-a1", 1]]);
    // Chain 1 ran as usual.
    expect(written.filter((w) => w.chain === 1).map((w) => w.inputs)).toEqual([
      [],
      ["g1-a4"],
      ["g1-a5"],
    ]);
    expect([1, 2, 3].map((g) => metricsOf(events, g).textsUnusable)).toEqual([0, 1, 0]);
    // An unusable text has no place in LLM-Culture's one-story-per-timestep format.
    expect(() => exportLlmCulture(out, { chain: 0 })).toThrow(
      /g1-a2's text of generation 2, chain 0 is unusable \(context-exceeded\)/,
    );
    expect(exportLlmCulture(out, { chain: 1 }).stories).toEqual(
      written.filter((w) => w.chain === 1).map((w) => [w.text]),
    );
  });
});

describe("structured answers (responseFormat: json_schema)", () => {
  it("asks for the schema and reads the text out of the JSON; JSON without a string text is unusable", async () => {
    const messy = messyScript({ seed: 6, mode: "varied" });
    const inner = new Map<string, string>();
    const script: Script = async (req, index) => {
      const reply = await messy(req, index);
      if (typeof reply !== "object" || !("content" in reply)) return reply;
      // g1-a3 answers JSON of another shape, as a server that does not enforce the schema may.
      if (agentOf(req) === "g1-a3")
        return { ...reply, content: JSON.stringify({ story: reply.content }) };
      inner.set(userPrompt(req), reply.content);
      return { ...reply, content: JSON.stringify({ text: ` ${reply.content} ` }) };
    };
    const { events, requests } = await run({
      size: 4,
      generations: 2,
      graph: { type: "complete" },
      profile: { maxTokens: 40, seed: 1, responseFormat: "json_schema" },
      transmission: { personaList: distinctPersonas(4) },
      script,
    });
    for (const req of requests) {
      expect(req.body.response_format).toEqual({
        type: "json_schema",
        json_schema: {
          name: "transmission_text",
          schema: {
            type: "object",
            properties: { text: { type: "string" } },
            required: ["text"],
            additionalProperties: false,
          },
          strict: true,
        },
      });
    }
    expect(llmCalls(events, 1).every((e) => e.responseFormat === "json_schema")).toBe(true);
    const first = textEvents(events, 1);
    for (const e of first.filter((e) => e.from !== "g1-a3")) {
      const prompt = userPrompt(requests.find((r) => agentOf(r) === e.from)!);
      expect(e.data.text, e.from).toBe(inner.get(prompt)!.trim());
    }
    expect(first.find((e) => e.from === "g1-a3")!.data).toMatchObject({
      text: null,
      unusable: "unreadable",
    });
    expect(metricsOf(events, 1).textsUnusable).toBe(1);
    // Generation 2 passes on the texts, not the JSON they came in.
    const read = new Set(first.map((e) => e.data.text).filter((t) => t !== null));
    const later = requests.filter((r) => receivedTexts(userPrompt(r)).length > 0);
    expect(later).toHaveLength(4);
    for (const req of later) {
      expect(userPrompt(req)).not.toContain('{"text"');
      for (const heard of receivedTexts(userPrompt(req)))
        expect(read.has(heard.text), agentOf(req)).toBe(true);
    }
  });
});
