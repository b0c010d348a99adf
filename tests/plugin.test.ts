/**
 * A scenario from outside the repository's scenarios/, as a researcher writes one: the
 * public-goods scenario copied into a temp folder with its imports pointing at the public API
 * (sim/index.ts) by absolute path and its id changed, named by a config by relative path
 * (`scenario: ./my-scenario`), and run through the CLI's `run` and `batch`, a script (the library),
 * and the viewer's reducer and generic view.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { startRun, type AgoraEvent } from "../sim/index.js";
import { genericView, viewFor } from "../viewer/src/scenarios/index.js";
import { measuresOf } from "../viewer/src/scenarios/measures.js";
import {
  generationMetricKeys,
  roundMetricKeys,
  roundSeries,
} from "../viewer/src/state/selectors.js";
import { reduceAll } from "../viewer/src/state/reducer.js";
import { fmtTime } from "../viewer/src/format.js";
import { readJsonlStrict, ROOT, runCli } from "./support/llm-helpers.js";

const SOURCE = join(ROOT, "scenarios", "public-goods");
const PUBLIC_API = join(ROOT, "sim", "index.ts");
const ID = "my-public-goods";

let work: string;
let configPath: string;

/**
 * Copies the scenario's modules and prompts (not its tests or examples), rewriting what names the
 * repository.
 */
function copyScenario(to: string): void {
  mkdirSync(to, { recursive: true });
  cpSync(join(SOURCE, "prompts"), join(to, "prompts"), { recursive: true });
  for (const name of readdirSync(SOURCE).filter(
    (n) => n.endsWith(".ts") && !n.endsWith(".test.ts"),
  )) {
    const text = readFileSync(join(SOURCE, name), "utf8");
    let copy = text.replaceAll('"../../sim/index.js"', JSON.stringify(PUBLIC_API));
    if (name === "scenario.ts") copy = copy.replace('id: "public-goods"', `id: "${ID}"`);
    if (/from "\.\.\//.test(copy))
      throw new Error(`${name} imports from outside its folder other than the public API`);
    writeFileSync(join(to, name), copy);
  }
  expect(readFileSync(join(to, "scenario.ts"), "utf8")).toContain(`id: "${ID}"`);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "agora-plugin-"));
  // The researcher's project: an ES module package (TypeScript files without one load as CommonJS)
  // with its own dependencies installed (zod); here, the repository's.
  writeFileSync(
    join(work, "package.json"),
    JSON.stringify({ name: "my-experiment", private: true, type: "module" }),
  );
  symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"), "dir");
  copyScenario(join(work, "my-scenario"));
  configPath = join(work, "experiment.yaml");
  writeFileSync(
    configPath,
    toYaml({
      scenario: "./my-scenario",
      seed: 3,
      generations: 2,
      graph: { type: "cycle" },
      population: {
        size: 6,
        minds: [
          { count: 2, policy: "always", fraction: 0.7 },
          { count: 2, policy: "conditional", initial: 1 },
          { count: 1, policy: "free-rider" },
          { count: 1, policy: "random" },
        ],
      },
      cache: { mode: "off" },
      publicGoods: { rounds: 3, multiplier: 2 },
    }),
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const readEvents = (dir: string) => readJsonlStrict<AgoraEvent>(join(dir, "events.jsonl"));

/** A completed run of the plugin: its events and metrics are the scenario's. */
function expectPluginRun(dir: string, seed: number): AgoraEvent[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    status: string;
    scenario: string;
    seed: number;
  };
  expect(manifest).toMatchObject({ status: "completed", scenario: ID, seed });
  const events = readEvents(dir);
  expect(events[0]).toMatchObject({ type: "run-started", scenario: ID, seed });
  expect(events.at(-1)).toMatchObject({ type: "run-ended", status: "completed" });
  const contributions = events.filter((e) => e.type === "interaction");
  expect(contributions).toHaveLength(2 * 3 * 6);
  expect(
    contributions.every(
      (e) =>
        e.type === "interaction" && e.kind === "contribution" && typeof e.data.payoff === "number",
    ),
  ).toBe(true);
  const metrics = readJsonlStrict(join(dir, "metrics.jsonl"));
  expect(metrics.map((m) => m.generation)).toEqual([1, 2]);
  for (const m of metrics)
    expect(m).toMatchObject({
      meanContributionFraction: expect.any(Number),
      giniScores: expect.any(Number),
      fallbackDecisions: 0,
    });
  expect(readJsonlStrict(join(dir, "agents.jsonl"))).toHaveLength(12);
  return events;
}

describe("a scenario outside scenarios/", () => {
  it("runs with `agora run` from a config that names it by relative path", async () => {
    const out = join(work, "run");
    const result = await runCli(["run", configPath, "--out", out]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expectPluginRun(out, 3);
  });

  it("runs with `agora batch` over seeds, tables included", async () => {
    const out = join(work, "batch");
    const result = await runCli(["batch", configPath, "--seeds", "0..1", "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const batch = JSON.parse(readFileSync(join(out, "batch.json"), "utf8")) as {
      status: string;
      runs: { id: string; status: string; seed: number }[];
    };
    expect(batch.status).toBe("completed");
    expect(batch.runs.map((r) => [r.seed, r.status])).toEqual([
      [0, "completed"],
      [1, "completed"],
    ]);
    for (const run of batch.runs) expectPluginRun(join(out, "runs", run.id), run.seed);
    const table = readFileSync(join(out, "metrics.csv"), "utf8");
    expect(table.split("\n")[0]).toContain("meanContributionFraction");
    expect(existsSync(join(out, "runs.csv"))).toBe(true);
  });

  it("runs from a script through the library's startRun", async () => {
    const out = join(work, "script");
    const result = await startRun(configPath, { out, overrides: { seed: 5 } });
    expect(result.status).toBe("completed");
    expectPluginRun(out, 5);
  });

  it("shows in the viewer through the generic view", () => {
    const events = readEvents(join(work, "run"));
    const state = reduceAll(events);
    expect(state.run?.scenario).toBe(ID);
    expect(state.phase).toBe("completed");
    const view = viewFor(state.run?.scenario);
    expect(view).toBe(genericView);
    // Six slots, three newborns after generation 1.
    expect(state.slots).toHaveLength(6);
    expect(Object.keys(state.agents)).toHaveLength(9);
    expect(state.generationMetrics.map((r) => r.generation)).toEqual([1, 2]);

    const charts = view.generationCharts(generationMetricKeys(state));
    expect(charts.map((c) => c.id)).toContain("metric-meanContributionFraction");
    const round = view.roundChart(roundMetricKeys(state));
    expect(round?.metric).toBe("meanContributionFraction");
    const series = roundSeries(state, round!.metric);
    expect(series.data[0]).toEqual([1, 2, 3]);
    expect(series.data[1]!.every((v) => typeof v === "number")).toBe(true);
    // The plugin's declared coordinates (one: round) reach run-started, the round rows and fmtTime.
    expect(events[0]).toMatchObject({
      type: "run-started",
      time: [{ key: "round", label: "round" }],
      interactions: { contribution: expect.any(String) },
    });
    expect(state.run?.time).toEqual([{ key: "round", label: "round" }]);
    expect(series.series).toEqual([1]);
    expect(series.xLabel).toBe("round");
    expect(state.roundMetrics.map((r) => [r.series, r.x])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    const contribution = state.interactions.find((e) => e.t.round === 2)!;
    expect(fmtTime(contribution.t, state.run?.time)).toBe(`g${contribution.t.generation}·round 2`);

    for (const entry of state.interactions) {
      expect(view.interactionStyle(entry)).not.toBeNull();
      expect(view.describeInteraction(entry)).toBe("contribution");
    }
    const agents = Object.values(state.agents);
    expect(new Set(agents.map((a) => view.strategyFamily(a)))).toEqual(
      new Set(
        ["always", "conditional", "free-rider", "random"].filter((p) =>
          agents.some((a) => a.mind?.name === p),
        ),
      ),
    );
    expect(measuresOf(view, state).map((m) => m.id)).toEqual(["score"]);
  });
});
