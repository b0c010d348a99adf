/**
 * LLM minds through the real runtime (ChatOpenAI against the local fake OpenAI server): the
 * prompt the model sees, re-asks of unusable answers, fallbacks (an answer never usable, and a
 * prompt over the model's context), their counts, and the advice newborns are told.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contextExceeded,
  startFakeOpenAI,
  type ChatRequestRecord,
  type FakeOpenAI,
  type Reply,
} from "../../tests/support/fake-openai.js";
import type { AgoraEvent } from "../../sim/index.js";
import {
  generationMetrics,
  offlineConfig,
  ofType,
  readJsonl,
  run,
  tempDir,
} from "./tests/support.js";

/** What each agent of generation 1 answers when its answer is usable. */
const AMOUNTS: Record<string, number> = { "g1-a1": 20, "g1-a2": 10, "g1-a3": 5, "g1-a4": 0 };

const prompt = (req: ChatRequestRecord) => req.messages.find((m) => m.role === "user")!.content;
const lastUser = (req: ChatRequestRecord) =>
  req.messages.findLast((m) => m.role === "user")!.content;

function script(req: ChatRequestRecord): Reply {
  const text = prompt(req);
  const name = /Your name is (\S+?)\./.exec(text)![1]!;
  const [, generation, round] = /This is generation (\d+), round (\d+) of/.exec(text)!.map(Number);
  const reask = lastUser(req).startsWith("Your answer could not be used");
  if (generation === 1) {
    // g1-a2 answers without a label in round 1, then properly when re-asked.
    if (name === "g1-a2" && round === 1 && !reask) return "I would give about half, ten units.";
    // g1-a3 never gives a number in round 2: re-asked parseRetries times, then a fallback of 0.
    if (name === "g1-a3" && round === 2) return "Justification: undecided.\nAnswer: a fair share";
    // g1-a4's round-2 prompt does not fit its context: the endpoint's 400, no answer.
    if (name === "g1-a4" && round === 2) return contextExceeded("openai");
  }
  return `Justification: I follow my plan.\n\nAnswer: ${AMOUNTS[name] ?? 8}`;
}

let server: FakeOpenAI;
const dirs: (() => void)[] = [];
let events: AgoraEvent[];
let requests: ChatRequestRecord[];
let dir: string;

beforeAll(async () => {
  server = await startFakeOpenAI({ script });
  const tmp = tempDir("llm");
  dirs.push(tmp.cleanup);
  const config = offlineConfig({
    generations: 2,
    profiles: {
      fake: {
        model: "test-model",
        baseURL: server.baseURL,
        maxTokens: 200,
        maxRetries: 0,
        timeoutMs: 5000,
      },
    },
    population: { size: 4, minds: [{ count: 4, profile: "fake" }] },
    cache: { mode: "off" },
    publicGoods: { rounds: 2, endowment: 20, multiplier: 2, parseRetries: 2 },
  });
  const result = await run(config, join(tmp.path, "run"));
  expect(result.status).toBe("completed");
  ({ events, dir } = result);
  requests = server.requests;
});

afterAll(async () => {
  await server.close();
  dirs.forEach((cleanup) => cleanup());
});

describe("LLM minds", () => {
  it("shows the rules, the neighbours and last round in the prompt, with maxTokens sent", () => {
    const first = requests.find(
      (r) => /Your name is g1-a1\./.test(prompt(r)) && /round 2 of/.test(prompt(r)),
    )!;
    expect(first.body.max_tokens).toBe(200);
    expect(first.messages[0]!.content).toContain("4 players sit on a network");
    expect(prompt(first)).toContain("You have 2 neighbours: g1-a2, g1-a4. You belong to 3 groups");
    expect(prompt(first)).toContain(
      "Last round you contributed 20 units and your neighbours contributed: g1-a2 10, g1-a4 0.",
    );
    expect(prompt(first)).toMatch(/Answer: \[a number from 0 to 20\]$/);
  });

  it("re-asks unusable answers with the reason, then falls back to 0 and counts it", () => {
    const failures = ofType(events, "parse-failure").filter((e) => e.t.generation === 1);
    expect(failures.map((f) => [f.agentId, f.t.round, f.attempt])).toEqual([
      ["g1-a2", 1, 1],
      ["g1-a3", 2, 1],
      ["g1-a3", 2, 2],
      ["g1-a3", 2, 3],
      ["g1-a4", 2, 1],
    ]);
    expect(failures[0]!.reason).toMatch(/^no 'Answer:' label/);
    expect(failures[1]!.reason).toMatch(/^no amount in answer "a fair share"/);
    expect(failures[4]).toMatchObject({ reason: "context exceeded", answer: "" });
    // A re-ask is the prompt, the unusable answer and the reason: four messages.
    const reask = requests.find(
      (r) =>
        /Your name is g1-a3\./.test(prompt(r)) &&
        r.messages.length === 4 &&
        /round 2 of/.test(prompt(r)),
    )!;
    expect(lastUser(reask)).toMatch(
      /^Your answer could not be used: no amount in answer "a fair share"\./,
    );

    const contributions = ofType(events, "interaction").filter((e) => e.t.generation === 1);
    const data = (agent: string, round: number) =>
      contributions.find((e) => e.from === agent && e.t.round === round)!.data;
    expect(data("g1-a2", 1)).toMatchObject({ amount: 10, fallback: false });
    expect(data("g1-a3", 2)).toMatchObject({
      amount: 0,
      fraction: 0,
      fallback: true,
      justification: "",
    });
    expect(data("g1-a4", 2)).toMatchObject({ amount: 0, fallback: true });

    const [g1] = generationMetrics(events);
    expect(g1).toMatchObject({ parseFailures: 5, fallbackDecisions: 2, llmContextExceeded: 1 });
    // Answered decisions only: round 1's four, and g1-a1 and g1-a2 in round 2.
    expect(g1!.meanContributionFraction).toBeCloseTo((1 + 0.5 + 0.25 + 0 + 1 + 0.5) / 6, 12);
    expect(g1!.zeroContributionRate).toBeCloseTo(1 / 6, 12);
    const round2 = ofType(events, "metric").find(
      (e) => e.scope === "round" && e.t.generation === 1 && e.t.round === 2,
    )!;
    expect(round2.values).toMatchObject({ meanContributionFraction: 0.75, fallbackDecisions: 2 });
    const rows = readJsonl(join(dir, "agents.jsonl")).filter((r) => r.generation === 1);
    expect(rows.find((r) => r.agentId === "g1-a3")).toMatchObject({
      fallbackDecisions: 1,
      meanContributionFraction: 0.25,
      mindKind: "llm",
      mind: "fake",
    });
  });

  it("tells LLM newborns the survivors' scores and contributions, and gives them the same profile", () => {
    const { survivors, created } = ofType(events, "generation-ended")[0]!;
    expect(created).toEqual(["g2-a1", "g2-a2"]);
    // Announced in slot order, named in the order of the removed agents' ranks.
    const born = ofType(events, "agent-created")
      .filter((e) => e.t.generation === 2)
      .sort((a, b) => a.agent.id.localeCompare(b.agent.id));
    expect(
      born.map((e) => [e.agent.id, e.agent.parents, e.agent.mind.kind, e.agent.mind.name]),
    ).toEqual([
      ["g2-a1", survivors, "llm", "fake"],
      ["g2-a2", survivors, "llm", "fake"],
    ]);
    const newborn = requests.find((r) => /Your name is g2-a1\./.test(prompt(r)))!;
    expect(prompt(newborn)).toContain(
      "Before you joined, the players who went on to this generation did this",
    );
    expect(prompt(newborn)).toMatch(
      /- score [\d.]+, contributed \d+%\n- score [\d.]+, contributed \d+%/,
    );
    const survivor = requests.find(
      (r) =>
        new RegExp(`Your name is ${survivors[0]}\\.`).test(prompt(r)) &&
        /generation 2,/.test(prompt(r)),
    )!;
    expect(prompt(survivor)).not.toContain("Before you joined");
  });
});
