/**
 * Helpers for the transmission tests: a fake "model" whose story is a pure function of its prompt,
 * a reader for the agora prompt layout, and configs pointing the scenario at the fake server.
 */
import { createHash } from "node:crypto";
import { afterEach } from "vitest";
import type { AgoraEvent } from "../../sim/core/events.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Reply,
} from "./fake-openai.js";
import { ofType, tempDir, usageFor } from "./llm-helpers.js";

const promptOf = (req: Pick<ChatRequestRecord, "messages">): string =>
  req.messages.map((m) => m.content).join("\n");

/** The fake model's story for a prompt: one line, unique to the prompt, the same on every call. */
export function storyFor(req: Pick<ChatRequestRecord, "messages">): string {
  const h = createHash("sha256").update(promptOf(req)).digest("hex");
  return `Story ${h.slice(0, 10)} tells of ${h.slice(10, 16)} and ${h.slice(16, 22)}.`;
}

export const storyReply = (req: ChatRequestRecord): Reply => {
  const content = storyFor(req);
  return { content, usage: usageFor(req, content) };
};

/**
 * The prompt (user message) each story was written from, by the story: the server's record, not the
 * run's.
 */
export function promptsByStory(requests: readonly ChatRequestRecord[]): Map<string, string> {
  return new Map(
    requests.map((req) => [storyFor(req), req.messages.find((m) => m.role === "user")!.content]),
  );
}

/**
 * The received texts of an agora-layout prompt, in order, with their labels ("Text 1", "Your
 * previous text").
 */
export function receivedTexts(prompt: string): { label: string; text: string }[] {
  const parts = prompt.split(/\n\n(Text \d+|Your previous text):\n/);
  const out: { label: string; text: string }[] = [];
  for (let i = 1; i < parts.length; i += 2)
    out.push({ label: parts[i]!, text: parts[i + 1]!.replace(/\n$/, "") });
  return out;
}

/** What a `text` interaction's data holds (text null when unusable, with the reason). */
export interface TextData {
  text: string | null;
  unusable?: string;
  inputs: string[];
  dropped?: string[];
  chain?: number;
}

/** Each `text` interaction's data, keyed by "generation:agentId". */
export function textsWritten(
  events: readonly AgoraEvent[],
): Map<string, TextData & { generation: number; agentId: string }> {
  return new Map(
    ofType(events, "interaction")
      .filter((e) => e.kind === "text")
      .map((e) => {
        const data = e.data as unknown as TextData;
        return [
          `${e.t.generation}:${e.from}`,
          { ...data, generation: e.t.generation, agentId: e.from },
        ];
      }),
  );
}

/**
 * A transmission config on the fake endpoint (profile "fake"), with the caller's scenario section
 * and graph.
 */
export function transmissionLlmConfig(o: {
  baseURL: string;
  cacheDir: string;
  size: number;
  generations: number;
  transmission: Record<string, unknown>;
  graph?: Record<string, unknown>;
  contextWindow?: number;
  /** The run's seed (default 5). */
  seed?: number;
  /** More settings of profile "fake" (maxTokens, seed, responseFormat...). */
  profile?: Record<string, unknown>;
  /** More profiles beside "fake" (e.g. an embeddings profile). */
  profiles?: Record<string, Record<string, unknown>>;
}): Record<string, unknown> {
  return {
    scenario: "transmission",
    seed: o.seed ?? 5,
    generations: o.generations,
    profiles: {
      fake: {
        model: "test-model",
        baseURL: o.baseURL,
        timeoutMs: 2000,
        maxRetries: 1,
        ...(o.contextWindow ? { contextWindow: o.contextWindow } : {}),
        ...o.profile,
      },
      ...o.profiles,
    },
    population: { size: o.size, minds: [{ count: o.size, profile: "fake" }] },
    ...(o.graph ? { graph: o.graph } : {}),
    cache: { dir: o.cacheDir },
    transmission: o.transmission,
  };
}

/** One distinct persona per agent, so that generation 1's prompts (and stories) differ. */
export const distinctPersonas = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `You are storyteller number ${i + 1}.`);

/**
 * Per test: a temp dir and a fake endpoint answering with `storyReply`; both are closed and removed
 * after each test of the calling file (closing the endpoint early, for a replay, is fine).
 */
export function storyWorkspace() {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
    tmp?.cleanup();
    fake = tmp = undefined;
  });
  return {
    async start(): Promise<{ dir: string; fake: FakeOpenAI }> {
      tmp = tempDir("transmission");
      fake = await startFakeOpenAI({ script: storyReply });
      return { dir: tmp.path, fake };
    },
    async closeEndpoint(): Promise<void> {
      await fake?.close();
      fake = undefined;
    },
  };
}
