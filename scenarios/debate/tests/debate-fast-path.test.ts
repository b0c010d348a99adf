/**
 * The debate's policies on the fast path (`policyPath: fast`, the default) answer from the state
 * alone: no prompt of any kind is rendered (Mustache's render is watched, still the real one),
 * while the text path renders them, and both give the same run. tests/policy-paths.test.ts checks
 * the latter for every shipped offline config; these setups also use the prompts those configs do
 * not (summaries, `memory: full`, an N-agent judge, surveys, advice).
 */
import { join } from "node:path";
import Mustache from "mustache";
import { afterAll, describe, expect, it, vi } from "vitest";
import { stableView } from "../../../sim/core/events.js";
import { debateConfig, runDebate } from "../../../tests/support/debate-helpers.js";
import { tempDir } from "../../../tests/support/llm-helpers.js";

/** Every prompt is a Mustache template: rendering one is what the fast path must not do. */
const render = vi.spyOn(Mustache, "render");

const tmp = tempDir("debate-fast-path");
afterAll(() => tmp.cleanup());

const solvers = [{ count: 3, policy: "solver", accuracy: 0.6, persuadability: 0.5 }];
const arithmetic = { questions: { generator: "arithmetic", count: 6 }, questionsPerGeneration: 6 };

type Raw = Record<string, unknown>;

/** Every kind of debate prompt between them: answers, summaries, judges, surveys, advice. */
const SETUPS: Record<string, { size: number; minds: Raw[]; debate: Raw }> = {
  "n-agent with a summariser, a judge and full memory": {
    size: 3,
    minds: solvers,
    debate: {
      setup: "n-agent",
      rounds: 2,
      memory: "full",
      summariser: { policy: "summariser" },
      judge: { policy: "judge" },
      ...arithmetic,
    },
  },
  "MAD with its judge": {
    size: 2,
    minds: [{ count: 2, policy: "solver", accuracy: 0.5 }],
    debate: { setup: "mad", rounds: 3, judge: { policy: "judge" }, ...arithmetic },
  },
  "persona debates with surveys": {
    size: 2,
    minds: [
      { count: 1, policy: "partisan", attitude: 9 },
      { count: 1, policy: "partisan", attitude: 2 },
    ],
    debate: {
      setup: "persona",
      rounds: 2,
      questions: { builtin: "topics" },
      questionsPerGeneration: 2,
    },
  },
  "generations with advice": {
    size: 4,
    minds: [{ count: 4, policy: "solver", accuracy: 0.5 }],
    debate: { setup: "n-agent", rounds: 1, evolution: { enabled: true }, ...arithmetic },
  },
};

let runs = 0;
async function runOn(setup: (typeof SETUPS)[string], policyPath: "fast" | "text") {
  const config = {
    ...debateConfig({ cacheDir: join(tmp.path, "cache"), generations: 2, ...setup }),
    policyPath,
  };
  render.mockClear();
  const run = await runDebate(tmp.path, `r${++runs}`, config, { inProcess: true });
  return { run, rendered: render.mock.calls.length };
}

describe("the debate's fast policy path", () => {
  it.each(Object.keys(SETUPS))(
    "%s: renders no prompt, and runs as the text path",
    async (name) => {
      const fast = await runOn(SETUPS[name]!, "fast");
      const text = await runOn(SETUPS[name]!, "text");
      expect(fast.rendered).toBe(0);
      expect(text.rendered).toBeGreaterThan(0);
      const events = (r: typeof fast) =>
        r.run.events.filter((e) => e.type !== "run-started").map(stableView);
      expect(events(fast)).toEqual(events(text));
      expect(fast.run.metrics).toEqual(text.run.metrics);
      expect(fast.run.agents).toEqual(text.run.agents);
    },
    60_000,
  );
});
