/**
 * Shared helpers for the LLM end-to-end, budget and resume tests: a deterministic Donor Game
 * "model" for the fake OpenAI server, config writing, strict run-directory readers and a CLI
 * runner.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { stringify as toYaml } from "yaml";
import { stableView, type AgoraEvent } from "../../sim/core/events.js";
import {
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Reply,
  type Script,
} from "./fake-openai.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const AGORA_BIN = join(ROOT, "bin", "agora.js");

// ---------------------------------------------------------------------------------------------
// Temp dirs

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `agora-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Reading Donor Game prompts the way a (very literal) model would

export interface DonationView {
  name: string;
  generation: number;
  round: number;
  recipient: string;
  /** Holdings as the prompt shows them. */
  holdings: number;
}

const lastUser = (req: Pick<ChatRequestRecord, "messages">): string =>
  [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";

export const isStrategyRequest = (req: Pick<ChatRequestRecord, "messages">): boolean =>
  lastUser(req).includes('beginning with the words "My strategy will be"');

export const isReask = (req: Pick<ChatRequestRecord, "messages">): boolean =>
  lastUser(req).startsWith("Your answer could not be used");

/**
 * The donation prompt of a donation request (first or re-asked), parsed; undefined for other
 * requests.
 */
export function donationView(req: Pick<ChatRequestRecord, "messages">): DonationView | undefined {
  const prompt = req.messages.find(
    (m) => m.role === "user" && m.content.includes("You are the donor"),
  )?.content;
  if (!prompt) return undefined;
  const name = /Your name is (\S+?)\./.exec(prompt)?.[1];
  const gr = /This is generation (\d+), round (\d+)\./.exec(prompt);
  const recipient = /You are paired with (\S+?),/.exec(prompt)?.[1];
  const holdings = /You hold ([\d.]+) units/.exec(prompt)?.[1];
  if (!name || !gr || !recipient || holdings === undefined)
    throw new Error(`unreadable donation prompt: ${prompt.slice(0, 200)}`);
  return {
    name,
    generation: Number(gr[1]),
    round: Number(gr[2]),
    recipient,
    holdings: Number(holdings),
  };
}

export function strategyName(req: Pick<ChatRequestRecord, "messages">): string {
  const name = /Your name is (\S+?)\./.exec(lastUser(req))?.[1];
  if (!name) throw new Error("strategy prompt without a name");
  return name;
}

/**
 * Each agent's fixed share of its holdings, from the index in its prompt name: the Donor Game
 * names agent `g1-a5` "1_5" in prompts (see promptName), and that is the form read here.
 */
export function shareOf(name: string): number {
  const index = /^\d+_(\d+)$/.exec(name)?.[1];
  if (index === undefined) throw new Error(`not a Donor Game prompt name: ${name}`);
  return [0.1, 0.25, 0.5, 0.8][Number(index) % 4]!;
}

/**
 * The donation a well-behaved agent answers: its share of the holdings shown, rounded down to
 * cents.
 */
export function donationAmount(view: DonationView): number {
  return Math.floor(view.holdings * shareOf(view.name) * 100) / 100;
}

export const strategyAnswer = (name: string): string =>
  `Justification: Generosity tends to be repaid in this game.\nMy strategy will be to give ${Math.round(shareOf(name) * 100)}% of what I hold in every round.`;

export const donationAnswer = (view: DonationView): string =>
  `Justification:\nI follow my strategy of giving ${Math.round(shareOf(view.name) * 100)}%.\n\nAnswer: ${donationAmount(view)}`;

/** Token counts the fake server reports: deliberately not the client's chars/4 estimate. */
export function usageFor(
  req: Pick<ChatRequestRecord, "messages">,
  content: string,
): { prompt_tokens: number; completion_tokens: number } {
  return {
    prompt_tokens: req.messages.reduce((n, m) => n + m.content.length, 0),
    completion_tokens: content.length,
  };
}

/** The well-behaved answer to any request, a pure function of its content. */
export function goodReply(req: Pick<ChatRequestRecord, "messages">): Reply {
  const view = donationView(req);
  const content = view
    ? donationAnswer(view)
    : isStrategyRequest(req)
      ? strategyAnswer(strategyName(req))
      : "Justification: none.\nAnswer: 0";
  return { content, usage: usageFor(req, content) };
}

/**
 * A script whose answers depend only on request content, with failure injections chosen by a
 * function of the content and of how many times that exact content has been seen. Timing never
 * changes what an agent finally answers, so runs and their cached replays are comparable.
 */
export function deterministicScript(
  inject?: (req: ChatRequestRecord, seen: number) => Reply | undefined,
): Script {
  const counts = new Map<string, number>();
  return (req) => {
    const key = JSON.stringify(req.messages);
    const seen = (counts.get(key) ?? 0) + 1;
    counts.set(key, seen);
    return inject?.(req, seen) ?? goodReply(req);
  };
}

/**
 * The deterministic script with each answer held a few milliseconds, so calls overlap, and the
 * most calls in flight at once seen so far (`peak()`).
 */
export function overlappingScript(): { script: Script; peak: () => number } {
  const script = deterministicScript();
  let inFlight = 0;
  let peak = 0;
  return {
    peak: () => peak,
    script: async (req, index) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(5);
      inFlight--;
      return script(req, index);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Configs

export interface LlmConfigOptions {
  baseURL: string;
  cacheDir: string;
  generations?: number;
  seed?: number;
  size?: number;
  timeoutMs?: number;
  maxRetries?: number;
  cacheMode?: "off" | "read-write" | "replay";
  price?: { input: number; output: number };
  extra?: Record<string, unknown>;
}

export function llmConfig(o: LlmConfigOptions): Record<string, unknown> {
  const size = o.size ?? 12;
  return {
    scenario: "donor-game",
    seed: o.seed ?? 3,
    generations: o.generations ?? 1,
    profiles: {
      fake: {
        model: "test-model",
        baseURL: o.baseURL,
        apiKeyEnv: "FAKE_KEY",
        price: o.price ?? { input: 1, output: 2 },
        timeoutMs: o.timeoutMs ?? 800,
        maxRetries: o.maxRetries ?? 3,
      },
    },
    population: { size, minds: [{ count: size, profile: "fake" }] },
    cache: { dir: o.cacheDir, mode: o.cacheMode ?? "read-write" },
    ...o.extra,
  };
}

export function writeConfig(dir: string, name: string, config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, toYaml(config));
  return path;
}

// ---------------------------------------------------------------------------------------------
// Run directories

/** Every line of a JSONL file, parsed strictly: a torn or invalid line fails the test. */
export function readJsonlStrict<T = Record<string, unknown>>(path: string): T[] {
  const text = readFileSync(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) throw new Error(`${path}: last line not terminated`);
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, i) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`${path}:${i + 1}: not JSON: ${line.slice(0, 120)}`);
      }
    });
}

export const readEvents = (dir: string): AgoraEvent[] =>
  readJsonlStrict<AgoraEvent>(join(dir, "events.jsonl"));

export { ofType } from "./donor-helpers.js";

export const stableEvents = (events: readonly AgoraEvent[]): Record<string, unknown>[] =>
  events.map(stableView);

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every file under a directory, recursively. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------
// The CLI

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  /**
   * Everything it has written to stderr so far. A listener added later would miss what came
   * before it (a server may print its URL before a test asks).
   */
  stderr(): string;
}

/** Spawns `node bin/agora.js ...args` from the package root. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [AGORA_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

export const runCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  spawnCli(args, env).done;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Events of a possibly still-growing log: complete lines only. */
export function peekEvents(dir: string): AgoraEvent[] {
  let text: string;
  try {
    text = readFileSync(join(dir, "events.jsonl"), "utf8");
  } catch {
    return [];
  }
  const lines = text.split("\n");
  lines.pop(); // the unterminated tail, if any
  const events: AgoraEvent[] = [];
  for (const line of lines) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as AgoraEvent);
    } catch {
      break;
    }
  }
  return events;
}

/**
 * Polls until `ready` holds for the run's events; fails if the process ends or time runs out first.
 */
export async function waitForEvents(
  dir: string,
  proc: CliProcess,
  ready: (events: AgoraEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<AgoraEvent[]> {
  let exited = false;
  void proc.done.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = peekEvents(dir);
    if (ready(events)) return events;
    if (exited) throw new Error(`the run ended before the awaited point (${events.length} events)`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for events (${events.length} so far)`);
    await sleep(10);
  }
}

/**
 * Per test: a temp dir and a fake endpoint with the deterministic script, and an LLM config in the
 * dir pointing at it; both are closed and removed after each test of the calling file.
 */
export function llmWorkspace(prefix: string, fakeOptions: { latencyMs?: number } = {}) {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    tmp?.cleanup();
    tmp = undefined;
  });
  return {
    /** A bare temp dir for this test (no endpoint). */
    dir(): string {
      tmp ??= tempDir(prefix);
      return tmp.path;
    },
    async setup(config: Omit<LlmConfigOptions, "baseURL" | "cacheDir"> = {}) {
      tmp ??= tempDir(prefix);
      fake = await startFakeOpenAI({ script: deterministicScript(), ...fakeOptions });
      const cacheDir = join(tmp.path, "cache");
      const configPath = writeConfig(
        tmp.path,
        "llm.yaml",
        llmConfig({ baseURL: fake.baseURL, cacheDir, ...config }),
      );
      return { work: tmp.path, configPath, fake, cacheDir };
    },
  };
}
