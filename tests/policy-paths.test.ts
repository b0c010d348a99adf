/**
 * The fast policy path (a policy's `act`: its answer as a value) and the text path (a prompt, the
 * chat-model interface, the policy's text, the scenario's parser) must give the same run: every
 * shipped config whose minds are all policies runs on both, and events.jsonl (wall-clock fields
 * aside), metrics.jsonl and agents.jsonl must be identical.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startRunFrom } from "../sim/app/run.js";
import { preloadScenario, scenarioLookup } from "../sim/app/scenarios.js";
import { stableView, type AgoraEvent } from "../sim/core/events.js";
import { ROOT, tempDir } from "./support/llm-helpers.js";

/** Generations run per config: enough for newborns, inherited and mutated policies. */
const GENERATIONS = 3;

type Raw = Record<string, unknown>;

/** Every object in a config that names a mind: a policy or an LLM profile. */
function mindSpecs(value: unknown, out: Raw[] = []): Raw[] {
  if (Array.isArray(value)) for (const item of value) mindSpecs(item, out);
  else if (value !== null && typeof value === "object") {
    const object = value as Raw;
    if ("policy" in object || "profile" in object) out.push(object);
    for (const child of Object.values(object)) mindSpecs(child, out);
  }
  return out;
}

/** The shipped configs whose every mind (population, judges, summarisers...) is a policy. */
function offlineConfigs(): { path: string; raw: Raw }[] {
  const root = join(ROOT, "scenarios");
  const found: { path: string; raw: Raw }[] = [];
  for (const scenario of readdirSync(root, { withFileTypes: true })) {
    if (!scenario.isDirectory()) continue;
    for (const file of readdirSync(join(root, scenario.name)).sort()) {
      if (!file.endsWith(".yaml")) continue;
      const path = join(root, scenario.name, file);
      const raw = parseYaml(readFileSync(path, "utf8")) as Raw;
      const minds = mindSpecs(raw);
      if (minds.length > 0 && minds.every((m) => "policy" in m && !("profile" in m)))
        found.push({ path, raw });
    }
  }
  return found;
}

const jsonl = (path: string): unknown[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);

const scratch = tempDir("policy-paths");
afterAll(() => scratch.cleanup());

async function runOn(path: string, raw: Raw, policyPath: "fast" | "text") {
  const out = join(scratch.path, `${path.replace(/[\\/]/g, "_")}-${policyPath}`);
  const generations = Math.min(Number(raw.generations ?? 1), GENERATIONS);
  const result = await startRunFrom({ ...raw, generations, policyPath }, dirname(path), {
    out,
    overrides: { cacheMode: "off" },
  });
  expect(result.status, result.error).toBe("completed");
  return {
    events: (jsonl(join(out, "events.jsonl")) as AgoraEvent[]).map(stableView),
    metrics: jsonl(join(out, "metrics.jsonl")),
    agents: jsonl(join(out, "agents.jsonl")),
  };
}

const configs = offlineConfigs();

describe("the fast and the text policy paths give the same run", () => {
  it("finds the shipped offline configs of every scenario that has one", () => {
    const scenarios = new Set(configs.map((c) => c.raw.scenario));
    for (const id of ["donor-game", "public-goods", "debate", "transmission"])
      expect(scenarios, `no offline config of ${id}`).toContain(id);
  });

  describe.each(configs.map((c) => [c.path.slice(ROOT.length + 1), c] as const))(
    "%s",
    (_name, { path, raw }) => {
      it("every policy it uses answers on the fast path", async () => {
        await preloadScenario(raw, dirname(path));
        const scenario = scenarioLookup(dirname(path))(String(raw.scenario));
        const slow = mindSpecs(raw)
          .map((m) => String(m.policy))
          .filter((name) => !scenario?.policies[name]?.act);
        expect(slow, "policies without act").toEqual([]);
      });

      it("events, metrics and agent rows are identical on both paths", async () => {
        const fast = await runOn(path, raw, "fast");
        const text = await runOn(path, raw, "text");
        expect(fast.events.length).toBeGreaterThan(0);
        expect(fast.events).toEqual(text.events);
        expect(fast.metrics).toEqual(text.metrics);
        expect(fast.agents).toEqual(text.agents);
      }, 120_000);
    },
  );
});
