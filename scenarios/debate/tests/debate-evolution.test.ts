/**
 * Debate generations: selection by accuracy, newcomers in the removed debaters' places (policy
 * parameters copied from a survivor and mutated; LLM advice written from the survivors' advice),
 * checked from the CLI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { agentIdParts } from "../../../sim/core/ids.js";
import { debateWorkspace, readRequest, runDebate } from "../../../tests/support/debate-helpers.js";
import { ofType, readEvents, runCli, tempDir, ROOT } from "../../../tests/support/llm-helpers.js";

const workspace = debateWorkspace();

describe("debate generations", () => {
  it("offline: the more accurate half survives and newcomers copy a survivor's policy, mutated, in a removed debater's place", async () => {
    const tmp = tempDir("debate-evolving");
    const out = join(tmp.path, "evolving");
    onTestFinished(() => tmp.cleanup());
    const cli = await runCli([
      "run",
      join(ROOT, "scenarios/debate/offline-evolving.yaml"),
      "--out",
      out,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const events = readEvents(out);
    const ended = ofType(events, "generation-ended");
    expect(ended.map((e) => [e.survivors.length, e.removed.length, e.created.length])).toEqual([
      ...Array(5).fill([4, 4, 4]),
      [0, 0, 0],
    ]);

    const created = ofType(events, "agent-created");
    const byId = new Map(created.map((e) => [e.agent.id, e.agent]));
    for (const g of ended.slice(0, -1)) {
      const accuracy = g.scores;
      // Every survivor scored at least as well as every removed debater.
      expect(Math.min(...g.survivors.map((id) => accuracy[id]!))).toBeGreaterThanOrEqual(
        Math.max(...g.removed.map((id) => accuracy[id]!)),
      );
      for (const [i, id] of g.created.entries()) {
        const child = byId.get(id)!;
        expect(child).toMatchObject({
          generation: g.t.generation + 1,
          role: "debater",
          slot: byId.get(g.removed[i]!)!.slot,
        });
        expect(child.parents).toHaveLength(1);
        expect(g.survivors).toContain(child.parents[0]);
        const parent = byId.get(child.parents[0]!)!;
        expect(child.mind.name).toBe(parent.mind.name);
        for (const [key, value] of Object.entries(child.mind.params!)) {
          expect(value as number).toBeGreaterThanOrEqual(0);
          expect(value as number).toBeLessThanOrEqual(1);
          expect(typeof parent.mind.params![key]).toBe("number");
        }
      }
    }
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(metrics.at(-1)!.accuracy).toBeGreaterThan(metrics[0]!.accuracy!);
  }, 30_000);

  it("LLM newcomers write their advice from the survivors' advice and keep the profile of the place", async () => {
    const open = await workspace({
      // Debaters 1 and 2 of each generation answer "4", the others "5".
      answer: (r) => (agentIdParts(r.name)!.index <= 2 ? "4" : "5"),
    });
    const run = await runDebate(
      open.work,
      "run",
      open.config(
        4,
        { setup: "n-agent", rounds: 1, questionsPerGeneration: 1, evolution: { enabled: true } },
        { generations: 2 },
      ),
    );
    const ended = ofType(run.events, "generation-ended")[0]!;
    expect(ended.survivors.sort()).toEqual(["g1-a1", "g1-a2"]);
    const advice = open
      .requests()
      .map(readRequest)
      .filter((r) => r.kind === "advice");
    // Generation 1: everyone writes first advice; generation 2: the two newcomers, from the
    // survivors'.
    expect(advice.map((r) => r.name).sort()).toEqual([
      "g1-a1",
      "g1-a2",
      "g1-a3",
      "g1-a4",
      "g2-a1",
      "g2-a2",
    ]);
    const newcomersAdvice = advice.filter((x) => agentIdParts(x.name)!.generation === 2);
    expect(newcomersAdvice).toHaveLength(2);
    for (const r of newcomersAdvice)
      expect(r.survivorsAdvice.sort()).toEqual(["the advice of g1-a1.", "the advice of g1-a2."]);
    const newcomers = ofType(run.events, "agent-created")
      .filter((e) => e.agent.generation === 2)
      .sort((a, b) => a.agent.id.localeCompare(b.agent.id));
    expect(
      newcomers.map((e) => [e.agent.id, e.agent.strategy, e.agent.mind.name, e.agent.parents]),
    ).toEqual([
      ["g2-a1", expect.stringContaining("the advice of g2-a1."), "fake", ["g1-a1", "g1-a2"]],
      ["g2-a2", expect.stringContaining("the advice of g2-a2."), "fake", ["g1-a1", "g1-a2"]],
    ]);
  }, 30_000);
});
