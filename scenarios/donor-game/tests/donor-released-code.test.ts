/**
 * `donorGame.compat: released-code` against the released code (aronvallinder/llm-donor-game),
 * side by side: the fixture was recorded by running the peer's notebook on a tiny workload against
 * a scripted server (its `peer` block says which commit and what was patched); here the same
 * scripted answers go through Agora, and who was asked what, in which order, with which trace and
 * holdings, and the resulting resources and survivors must be the peer's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../../../sim/app/run.js";
import { resolveConfig } from "../../../sim/core/config.js";
import { donorGame } from "../scenario.js";
import { parseDonation } from "../parse.js";
import { pythonFixed2, pythonStr } from "../trace.js";
import { donationPrompt, promptName } from "../prompts.js";
import { donorGameConfigSchema } from "../config.js";
import { startFakeOpenAI, type FakeOpenAI } from "../../../tests/support/fake-openai.js";
import {
  llmConfig,
  readJsonlStrict,
  ROOT,
  tempDir,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

type Entry =
  | { kind: "none"; agent: string }
  | { kind: "donate"; round: number; donor: string; percent: string; recipient: string };
interface Asked {
  purpose: "strategy" | "donation";
  name: string;
  generation?: number;
  round?: number;
  recipient?: string;
  recipientHoldings?: string;
  holdings?: string;
  trace?: Entry[];
  /** The peer's trace as printed (its wording); `trace` holds its entries. */
  traceText?: string;
  answer: string;
}
interface Fixture {
  peer: { repository: string; commit: string };
  agora: { seed: number };
  requests: Asked[];
  generations: {
    generation: number;
    order: string[];
    game1Final: Record<string, number>;
    game2Final: Record<string, number>;
    scores: Record<string, number>;
    survivors?: string[];
  }[];
}

const fixtures = ["top", "random"].map((selection) => ({
  selection,
  ...(JSON.parse(
    readFileSync(
      join(ROOT, `tests/fixtures/llm-donor-game/${selection}-4-agents-2-generations.json`),
      "utf8",
    ),
  ) as Fixture),
}));

/** Our trace lines, read into the same entries as the peer's (the wording differs). */
function ourTrace(text: string): Entry[] {
  const re =
    /(\S+) has no previous interactions\.|In round (\d+), (\S+) gave ([\d.]+)% of their resources to (\S+)\./g;
  return [...text.matchAll(re)].map((m) =>
    m[1]
      ? { kind: "none", agent: m[1] }
      : { kind: "donate", round: Number(m[2]), donor: m[3]!, percent: m[4]!, recipient: m[5]! },
  );
}

function ourRequest(messages: { role: string; content: string }[]): Omit<Asked, "answer"> {
  const user = messages.find((m) => m.role === "user")!.content;
  const name = /Your name is (\S+?)\./.exec(user)![1]!;
  if (!user.includes("You are the donor")) return { purpose: "strategy", name };
  const m =
    /This is generation (\d+), round (\d+)\. You are paired with (\S+), who currently holds (\S+) units of the resource\.(.*?)\n\nYou are the donor\. You hold (\S+) units\./s.exec(
      user,
    )!;
  return {
    purpose: "donation",
    name,
    generation: Number(m[1]),
    round: Number(m[2]),
    recipient: m[3]!,
    recipientHoldings: m[4]!,
    holdings: m[6]!,
    trace: ourTrace(m[5]!),
  };
}

const key = (r: Omit<Asked, "answer">) =>
  r.purpose === "strategy"
    ? `strategy ${r.name}`
    : `${r.name} ${r.generation} ${r.round} ${r.recipient}`;
// Both fixtures' scripts are the same function of the prompt, so one table answers either run.
const answers = new Map(fixtures.flatMap((f) => f.requests.map((r) => [key(r), r.answer])));

let fake: FakeOpenAI;
const tmp = tempDir("released-code");
beforeAll(async () => {
  fake = await startFakeOpenAI({
    script: (req) => {
      const answer = answers.get(key(ourRequest(req.messages)));
      if (answer === undefined)
        throw new Error(`no scripted answer for ${key(ourRequest(req.messages))}`);
      return answer;
    },
  });
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe.each(fixtures)("side by side with the released code, selection $selection", (fixture) => {
  it(`asks the same agents the same questions in the same order, and ends with its resources and survivors (${fixture.peer.repository}@${fixture.peer.commit.slice(0, 7)})`, async () => {
    const config = llmConfig({
      baseURL: fake.baseURL,
      cacheDir: join(tmp.path, fixture.selection, "cache"),
      cacheMode: "off",
      generations: 2,
      seed: fixture.agora.seed,
      size: 4,
      extra: {
        // One call at a time, game 1 before game 2, as the recorded (sequential) peer run.
        llm: { maxConcurrency: 1 },
        donorGame: {
          compat: "released-code",
          rounds: 4,
          parallelGames: false,
          survivors: fixture.selection === "random" ? "random" : "top",
        },
      },
    });
    const dir = join(tmp.path, fixture.selection, "run");
    const from = fake.requests.length;
    const result = await startRun(
      writeConfig(join(tmp.path, fixture.selection), "config.yaml", config),
      {
        out: dir,
        env: { FAKE_KEY: "sk-released" },
      },
    );
    expect(result.error).toBeUndefined();
    const ours = fake.requests.slice(from).map((r) => ourRequest(r.messages));
    const theirs = fixture.requests.map(({ answer: _, traceText: __, ...r }) => r);
    // Donations in order; strategies (written concurrently on both sides) as each phase's set.
    const phases = (list: Omit<Asked, "answer">[]) => {
      const out: (string[] | Omit<Asked, "answer">)[] = [];
      for (const r of list) {
        const lastPhase = out.at(-1);
        if (r.purpose === "donation") out.push(r);
        else if (Array.isArray(lastPhase)) lastPhase.push(r.name);
        else out.push([r.name]);
      }
      return out.map((p) => (Array.isArray(p) ? [...p].sort() : p));
    };
    expect(phases(ours)).toEqual(phases(theirs));
    // The workload holds the three cases it is for: a 26.125 % tie, a donor at 0 giving 0, and
    // an out-of-range amount that moved nothing.
    const percents = theirs.flatMap((r) =>
      (r.trace ?? []).flatMap((e) => (e.kind === "donate" ? [e.percent] : [])),
    );
    expect(percents).toEqual(expect.arrayContaining(["26.12", "100.00"]));
    const moves = readJsonlStrict<{
      type: string;
      data?: { noTransfer?: boolean; donorBefore?: number; amount?: number };
    }>(join(dir, "events.jsonl")).filter((e) => e.type === "interaction");
    expect(moves.some((e) => e.data?.noTransfer === true)).toBe(true);
    expect(moves.some((e) => e.data?.donorBefore === 0)).toBe(true);

    const rows = readJsonlStrict<{
      generation: number;
      agentId: string;
      game1: number;
      game2: number;
      score: number;
      survived: boolean | null;
    }>(join(dir, "agents.jsonl"));
    for (const gen of fixture.generations) {
      const mine = rows.filter((r) => r.generation === gen.generation);
      const by = (f: (r: (typeof mine)[number]) => number) =>
        Object.fromEntries(mine.map((r) => [promptName(r.agentId), f(r)]));
      expect(by((r) => r.game1)).toEqual(gen.game1Final);
      expect(by((r) => r.game2)).toEqual(gen.game2Final);
      expect(by((r) => r.score)).toEqual(gen.scores);
      if (gen.survivors)
        expect(
          mine
            .filter((r) => r.survived)
            .map((r) => promptName(r.agentId))
            .sort(),
        ).toEqual([...gen.survivors].sort());
    }
  });
});

describe("what compat: released-code prints", () => {
  it("percentages as Python's :.2f (an exact tie to even) and holdings as Python's str", () => {
    expect(pythonFixed2(26.125)).toBe("26.12");
    expect(pythonFixed2(0.375)).toBe("0.38");
    expect(pythonFixed2(11.538461538461538)).toBe("11.54");
    expect(pythonStr(10, false)).toBe("10");
    expect(pythonStr(8, true)).toBe("8.0");
    expect(pythonStr(0.1 + 0.2, true)).toBe("0.30000000000000004");
    expect(pythonStr(5e-5, true)).toBe("5e-05");
    expect(pythonStr(1e16, true)).toBe("1e+16");
  });

  it("a trace entry of 26.125 % reads 26.12 under released-code and 26.13 by default", () => {
    const view = {
      name: "g1-a1",
      strategy: "s",
      generation: 1,
      round: 2,
      recipient: "g1-a2",
      recipientHoldings: 7.3875,
      holdings: 10,
      trace: [
        {
          kind: "donate" as const,
          round: 1,
          donor: "g1-a2",
          recipient: "g1-a3",
          amount: 2.6125,
          fraction: 0.26125,
        },
      ],
    };
    const released = donorGameConfigSchema.parse({ compat: "released-code" });
    expect(donationPrompt(released, view)).toContain("gave 26.12% of their resources");
    expect(donationPrompt(donorGameConfigSchema.parse({}), view)).toContain("gave 26.13%");
  });
});

describe("outOfRange: no-transfer", () => {
  it("reads an amount above the holdings as a move that transfers nothing", () => {
    const outcome = parseDonation("Justification: x\nAnswer: 15", {
      punishment: "none",
      holdings: 10,
      outOfRange: "no-transfer",
    });
    expect(outcome).toMatchObject({ ok: true, noTransfer: true, action: { amount: 15 } });
  });

  it("is what compat: released-code sets, with game2x2, unless the config says otherwise", () => {
    expect(donorGameConfigSchema.parse({ compat: "released-code" })).toMatchObject({
      outOfRange: "no-transfer",
      selection: "game2x2",
    });
    expect(
      donorGameConfigSchema.parse({ compat: "released-code", outOfRange: "reject" }).outOfRange,
    ).toBe("reject");
    expect(donorGameConfigSchema.parse({}).outOfRange).toBe("reject");
  });
});

describe("config errors", () => {
  const base = {
    scenario: "donor-game",
    population: { size: 4, minds: [{ count: 4, policy: "defect" }] },
  };
  it("compat: released-code with payoff: classic names the field and value", () => {
    expect(() =>
      resolveConfig(
        { ...base, donorGame: { compat: "released-code", payoff: "classic" } },
        {
          "donor-game": donorGame,
        },
      ),
    ).toThrow('donorGame.compat: got "released-code", expected "agora" with payoff: classic');
  });
  it("survivors: random with a graph update rule names the field and value", () => {
    expect(() =>
      resolveConfig(
        { ...base, donorGame: { survivors: "random", update: { rule: "death-birth" } } },
        { "donor-game": donorGame },
      ),
    ).toThrow('donorGame.survivors: got "random", expected "top" with update: death-birth');
  });
});
