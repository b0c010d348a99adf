/**
 * The fake OpenAI server in a process of its own, so that its CPU time (HTTP parsing, JSON) does
 * not share the simulator's event loop, as a real endpoint's would not. Started by
 * `startFakeServer({ outOfProcess: true })`; talks to its parent over the IPC channel.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { debateModel } from "../tests/support/debate-helpers.js";
import { startFakeOpenAI, type Script } from "../tests/support/fake-openai.js";
import { storyReply } from "../tests/support/transmission-helpers.js";

export const STRATEGY_MARK = 'beginning with the words "My strategy will be"';
export const STRATEGY_ANSWER = "My strategy will be to give half.";
export const DONATION_ANSWER = "Justification: ok.\nAnswer: 50%";

/** Strategy prompts get a strategy, everything else a donation of half the holdings. */
export const donorScript: Script = (req) =>
  req.messages.some((m) => m.content.includes(STRATEGY_MARK)) ? STRATEGY_ANSWER : DONATION_ANSWER;

/**
 * Debaters answer 42; a MAD judge decides only when asked for its final judgement, so every
 * question runs all its rounds.
 */
const debateScript: Script = debateModel({
  answer: () => "42",
  judge: (r) => ({ decided: r.final, side: "affirmative", answer: "42" }),
});

/** The fake model's replies, by scenario: each a pure function of the request. */
export const SCRIPTS = {
  donor: donorScript,
  debate: debateScript,
  transmission: (req) => storyReply(req),
} satisfies Record<string, Script>;

export type ScriptName = keyof typeof SCRIPTS;

export interface BenchServer {
  baseURL: string;
  /** Arrival times (Date.now()) of the chat requests so far. */
  arrivals(): Promise<number[]>;
  close(): Promise<void>;
}

type ToChild = { type: "arrivals" } | { type: "close" };
type FromChild =
  { type: "ready"; baseURL: string } | { type: "arrivals"; times: number[] } | { type: "closed" };

export async function startFakeServer(options: {
  latencyMs: number;
  outOfProcess: boolean;
  /** Default: the Donor Game's. */
  script?: ScriptName;
}): Promise<BenchServer> {
  const script = options.script ?? "donor";
  if (!options.outOfProcess) {
    const server = await startFakeOpenAI({ script: SCRIPTS[script], latencyMs: options.latencyMs });
    return {
      baseURL: server.baseURL,
      arrivals: async () => server.requests.map((r) => r.receivedAt),
      close: () => server.close(),
    };
  }
  // The child inherits the tsx loader flags this process runs under, not profiling flags.
  const execArgv = process.execArgv.filter(
    (a) => !a.startsWith("--cpu-prof") && !a.startsWith("--heap-prof"),
  );
  const child = fork(
    fileURLToPath(import.meta.url),
    ["--serve", String(options.latencyMs), script],
    {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const next = (type: FromChild["type"]) =>
    new Promise<FromChild>((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`the fake server process exited (${code}) before answering "${type}"`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = (await next("ready")) as Extract<FromChild, { type: "ready" }>;
  const send = (message: ToChild) => child.send(message);
  return {
    baseURL: ready.baseURL,
    async arrivals() {
      const reply = next("arrivals");
      send({ type: "arrivals" });
      return ((await reply) as Extract<FromChild, { type: "arrivals" }>).times;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      send({ type: "close" });
      await exited;
    },
  };
}

if (process.argv[2] === "--serve" && process.send) {
  const server = await startFakeOpenAI({
    script: SCRIPTS[(process.argv[4] ?? "donor") as ScriptName],
    latencyMs: Number(process.argv[3] ?? 0),
  });
  const reply = (message: FromChild) => process.send!(message);
  process.on("message", async (message: ToChild) => {
    if (message.type === "arrivals")
      reply({ type: "arrivals", times: server.requests.map((r) => r.receivedAt) });
    if (message.type === "close") {
      await server.close();
      process.disconnect();
    }
  });
  reply({ type: "ready", baseURL: server.baseURL });
}
