/**
 * Debate test helpers: a literal "model" for the fake OpenAI server that reads the debate prompts
 * (who is asked, in which round, for what) and answers by a test's plan, with a marker naming the
 * speaker and round in every reply so tests can see which texts reached which prompts; config
 * writing and CLI runs of debate configs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import type { AgoraEvent, EventOf } from "../../sim/core/events.js";
import { startRun } from "../../sim/app/run.js";
import { type ChatRequestRecord, type Script, startFakeOpenAI } from "./fake-openai.js";
import {
  type CliResult,
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  tempDir,
  writeConfig,
} from "./llm-helpers.js";

/** What a request asks for, read from its prompts. */
export type DebateRequest =
  | { kind: "answer"; name: string; round: number; question: string; side?: string }
  | { kind: "judge"; round: number; final: boolean; question: string }
  | { kind: "survey"; name: string; round: number; question: string }
  | { kind: "summary"; of: string[] }
  | { kind: "advice"; name: string; survivorsAdvice: string[] };

/** The marker a scripted reply carries: `[[g1-a2 r1]]`. */
export const marker = (name: string, round: number): string => `[[${name} r${round}]]`;
export const surveyMarker = (name: string, round: number): string => `[[survey ${name} r${round}]]`;

const MARKER = /\[\[(\S+) r(\d+)\]\]/g;

/** Every reply marker a text contains, in order. */
export const markersIn = (text: string): string[] =>
  [...text.matchAll(MARKER)].filter((m) => m[1] !== "survey").map((m) => `${m[1]} r${m[2]}`);

const lastUser = (req: Pick<ChatRequestRecord, "messages">): string =>
  [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";

function ownRound(req: Pick<ChatRequestRecord, "messages">, name: string): number | undefined {
  // Its latest reply: the last assistant turn (with full memory, earlier ones precede it).
  const own = [...req.messages].reverse().find((m) => m.role === "assistant")?.content ?? "";
  const match = [...own.matchAll(MARKER)].find((m) => m[1] === name);
  return match ? Number(match[2]) : undefined;
}

export function readRequest(req: Pick<ChatRequestRecord, "messages">): DebateRequest {
  const system = req.messages[0]?.role === "system" ? req.messages[0].content : "";
  const user = lastUser(req);
  if (user.includes('Begin it with "My advice:"')) {
    return {
      kind: "advice",
      name: /You are (\S+), one of/.exec(system)![1]!,
      survivorsAdvice: [...user.matchAll(/correct\): (.+)/g)].map((m) => m[1]!),
    };
  }
  if (user.startsWith("The question:"))
    return { kind: "summary", of: markersIn(user).map((m) => m.split(" ")[0]!) };
  if (system.startsWith("You are a moderator")) {
    const question = /following topic: "([^"]*)"/.exec(system)![1]!;
    const final = /The debate has ended after (\d+)/.exec(user);
    if (final) return { kind: "judge", round: Number(final[1]), final: true, question };
    return {
      kind: "judge",
      round: Number(/Now round (\d+) of the debate/.exec(user)![1]),
      final: false,
      question,
    };
  }
  const mad = /You are a debater, (\S+), arguing the (\S+) side/.exec(system);
  if (mad) {
    const [, name, side] = mad as unknown as [string, string, string];
    const question = /The debate topic is stated as follows:\n(.+)/.exec(system)![1]!;
    const opponent = /side's latest argument: ```\[\[\S+ r(\d+)\]\]/.exec(user);
    const round = opponent ? Number(opponent[1]) + (side === "affirmative" ? 1 : 0) : 1;
    return { kind: "answer", name, round, question, side };
  }
  const name = /You are (\S+), one of \d+ agents/.exec(system)![1]!;
  const first = req.messages.find((m) => m.role === "user")!.content;
  const question = (/possible\? (.+)/.exec(first) ??
    /The topic of the debate is: (.+)/.exec(first))![1]!;
  const own = ownRound(req, name);
  if (user.includes("no other participant will ever see"))
    return { kind: "survey", name, round: own!, question };
  return { kind: "answer", name, round: own === undefined ? 0 : own + 1, question };
}

export interface DebatePlan {
  /** The answer a debater states (its reply also carries its marker). */
  answer(r: Extract<DebateRequest, { kind: "answer" }>): string;
  judge?(r: Extract<DebateRequest, { kind: "judge" }>): {
    decided: boolean;
    side?: string;
    answer?: string;
  };
  attitude?(r: Extract<DebateRequest, { kind: "survey" }>): number;
}

/**
 * A fake-server script answering debate prompts by `plan`; every reply is a pure function of the
 * request.
 */
export function debateModel(plan: DebatePlan): Script {
  return (req) => {
    const r = readRequest(req);
    switch (r.kind) {
      case "answer":
        return `${marker(r.name, r.round)} I thought about it step by step.\nAnswer: ${plan.answer(r)}`;
      case "judge": {
        const d = plan.judge?.(r) ?? { decided: r.final };
        return JSON.stringify({
          "Whether there is a preference": d.decided ? "Yes" : "No",
          "Supported Side": d.side ?? "",
          Reason: "scripted",
          debate_answer: d.answer ?? "",
        });
      }
      case "survey":
        return `${surveyMarker(r.name, r.round)} Privately: Attitude: ${plan.attitude?.(r) ?? 5}`;
      case "summary":
        return `[[summary of ${r.of.join(",")}]] They disagree.`;
      case "advice":
        return `My advice: the advice of ${r.name}.`;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Configs and runs

export interface DebateConfigOptions {
  baseURL?: string;
  cacheDir: string;
  seed?: number;
  generations?: number;
  size: number;
  /** Mind entries; default: every agent on the `fake` profile. */
  minds?: Record<string, unknown>[];
  graph?: Record<string, unknown>;
  /** Further settings of the `fake` profile (maxTokens, seed, responseFormat, contextWindow...). */
  profile?: Record<string, unknown>;
  debate: Record<string, unknown>;
}

export function debateConfig(o: DebateConfigOptions): Record<string, unknown> {
  return {
    scenario: "debate",
    seed: o.seed ?? 1,
    generations: o.generations ?? 1,
    ...(o.baseURL
      ? {
          profiles: {
            fake: {
              model: "test-model",
              baseURL: o.baseURL,
              apiKeyEnv: "FAKE_KEY",
              price: { input: 1, output: 2 },
              timeoutMs: 5_000,
              maxRetries: 2,
              ...o.profile,
            },
          },
        }
      : {}),
    population: { size: o.size, minds: o.minds ?? [{ count: o.size, profile: "fake" }] },
    ...(o.graph ? { graph: o.graph } : {}),
    cache: { dir: o.cacheDir },
    debate: o.debate,
  };
}

export interface DebateRun extends CliResult {
  dir: string;
  events: AgoraEvent[];
  metrics: Record<string, unknown>[];
  agents: Record<string, unknown>[];
}

export const FAKE_ENV = { FAKE_KEY: "sk-debate-test" };

/**
 * Writes the config under `work`, runs it into `work/<name>/run` and reads the run back: through
 * the
 * CLI, or with `inProcess` through startRun in this process (no CLI start-up: for many small runs).
 */
export async function runDebate(
  work: string,
  name: string,
  config: Record<string, unknown>,
  opts: { inProcess?: boolean } = {},
): Promise<DebateRun> {
  const configPath = writeConfig(join(work, name), "config.yaml", config);
  const dir = join(work, name, "run");
  let out: CliResult;
  if (opts.inProcess) {
    const result = await startRun(configPath, { out: dir, env: FAKE_ENV });
    out = {
      code: result.status === "completed" ? 0 : 1,
      signal: null,
      stdout: "",
      stderr: result.error ?? "",
    };
  } else {
    out = await runCli(["run", configPath, "--out", dir], FAKE_ENV);
  }
  if (out.code !== 0)
    throw new Error(
      `debate run ${name} exited ${out.code}: ${out.stderr}${out.stdout.slice(-500)}`,
    );
  return {
    ...out,
    dir,
    events: readEvents(dir),
    metrics: readJsonlStrict(join(dir, "metrics.jsonl")),
    agents: readJsonlStrict(join(dir, "agents.jsonl")),
  };
}

/**
 * Runs `work/<name>/config.yaml` again with `--cache replay` into `work/<name>/replay`, with no key
 * (so every call must come from the cache), and reads its events back.
 */
export async function replayDebate(work: string, name: string): Promise<AgoraEvent[]> {
  const dir = join(work, name, "replay");
  const out = await runCli(
    ["run", join(work, name, "config.yaml"), "--cache", "replay", "--out", dir],
    { ...FAKE_ENV, FAKE_KEY: "" },
  );
  if (out.code !== 0)
    throw new Error(`replay of ${name} exited ${out.code}: ${out.stderr}${out.stdout.slice(-500)}`);
  return readEvents(dir);
}

export const interactionsOf = (
  events: readonly AgoraEvent[],
  kind: string,
): EventOf<"interaction">[] => ofType(events, "interaction").filter((e) => e.kind === kind);

export const roundMetrics = (events: readonly AgoraEvent[]): EventOf<"metric">[] =>
  ofType(events, "metric").filter((e) => e.scope === "round");

// ---------------------------------------------------------------------------------------------
// Per-test workspaces with a scripted endpoint

export const QUESTIONS = [
  { id: "four", question: "What is 2+2?", answers: ["4"] },
  { id: "six", question: "What is 3+3?", answers: ["6"] },
  { id: "ten", question: "What is 5+5?", answers: ["10"] },
];

/**
 * Opens, for the calling test, a temp dir `work` holding a question file (which every config of
 * `config()` reads, whatever name `runDebate(work, name, ...)` runs it under), and a fake endpoint
 * answering by a plan (or any script, e.g. a messy model); both are closed and removed when the
 * test ends.
 */
export function debateWorkspace() {
  return async (
    model: DebatePlan | Script,
    items: readonly object[] = QUESTIONS,
    fakeOptions: { latencyMs?: number } = {},
  ) => {
    const tmp = tempDir("debate");
    onTestFinished(() => tmp.cleanup());
    const server = await startFakeOpenAI({
      script: typeof model === "function" ? model : debateModel(model),
      ...fakeOptions,
    });
    onTestFinished(() => server.close());
    const questions = join(tmp.path, "questions.jsonl");
    writeFileSync(questions, items.map((q) => JSON.stringify(q)).join("\n") + "\n");
    const cacheDir = join(tmp.path, "cache");
    const config = (
      size: number,
      debate: Record<string, unknown>,
      extra: {
        graph?: Record<string, unknown>;
        generations?: number;
        profile?: Record<string, unknown>;
      } = {},
    ) =>
      debateConfig({
        baseURL: server.baseURL,
        cacheDir,
        size,
        ...extra,
        debate: { questions: { file: questions }, questionsPerGeneration: items.length, ...debate },
      });
    return { work: tmp.path, config, requests: () => server.requests, server };
  };
}

type AnswerRequest = Extract<DebateRequest, { kind: "answer" }>;

/**
 * The answer requests the server received, with the markers of the replies their prompts carried.
 */
export function answerRequests(
  requests: readonly ChatRequestRecord[],
): (AnswerRequest & { shown: string[] })[] {
  return requests.flatMap((req) => {
    const r = readRequest(req);
    return r.kind === "answer"
      ? [{ ...r, shown: markersIn(req.messages.map((m) => m.content).join("\n")) }]
      : [];
  });
}
