/**
 * Batch planning: seeds, grid flags, key paths (with list indices), run names, the cross product,
 * and validation of every condition before anything runs.
 */
import { afterAll, describe, expect, it } from "vitest";
import { builtinScenarios } from "../sim/app/scenarios.js";
import { resolveConfig } from "../sim/core/config.js";
import { ConfigError } from "../sim/core/errors.js";
import {
  conditionSlug,
  mergeGrid,
  parseGridFlag,
  parseSeeds,
  planBatch,
  runId,
  setPath,
  validatePlan,
} from "../sim/app/batch/plan.js";
import { prepareBatch } from "../sim/app/batch/runner.js";
import { tempDir, writeConfig } from "./support/llm-helpers.js";

const SCENARIOS = await builtinScenarios();

const tmp = tempDir("batch-plan");
afterAll(tmp.cleanup);

const BASE = {
  scenario: "donor-game",
  seed: 4,
  generations: 2,
  population: {
    size: 4,
    minds: [
      { count: 2, policy: "constant", fraction: 0.5 },
      { count: 2, policy: "defect" },
    ],
  },
};

describe("seeds", () => {
  it("reads ranges, lists and both, in order, without duplicates", () => {
    expect(parseSeeds("0..3")).toEqual([0, 1, 2, 3]);
    expect(parseSeeds("1,5,9")).toEqual([1, 5, 9]);
    expect(parseSeeds("0..2, 10, 1")).toEqual([0, 1, 2, 10]);
    expect(parseSeeds([3, 1])).toEqual([3, 1]);
    expect(parseSeeds(7)).toEqual([7]);
  });

  it("rejects what is not a seed list, naming the flag and the value", () => {
    for (const bad of ["", "a..b", "3..1", "1,,2", "-1", "1.5"]) {
      expect(() => parseSeeds(bad), bad).toThrow(ConfigError);
    }
    expect(() => parseSeeds("x", "batch.seeds")).toThrow(
      /^batch\.seeds: got "x", expected seeds as/,
    );
  });
});

describe("grid flags", () => {
  it("reads values as YAML scalars (numbers, booleans, text, quoted commas, lists)", () => {
    expect(parseGridFlag("donorGame.multiplier=1.5,2,3")).toEqual([
      "donorGame.multiplier",
      [1.5, 2, 3],
    ]);
    expect(parseGridFlag("donorGame.showScores=true,false")).toEqual([
      "donorGame.showScores",
      [true, false],
    ]);
    expect(parseGridFlag("donorGame.punishment=none, costly")).toEqual([
      "donorGame.punishment",
      ["none", "costly"],
    ]);
    expect(parseGridFlag('x.y="a,b",c')).toEqual(["x.y", ["a,b", "c"]]);
    expect(parseGridFlag("graph.sizes=[2,2],[1,3]")).toEqual([
      "graph.sizes",
      [
        [2, 2],
        [1, 3],
      ],
    ]);
  });

  it("rejects a flag without key or values, and empty values", () => {
    for (const bad of ["donorGame.multiplier", "=1,2", "donorGame.multiplier=", "a=1,,2"])
      expect(() => parseGridFlag(bad), bad).toThrow(ConfigError);
  });

  it("merges the config's grid with the flags: a flag replaces the config's axis of the same key", () => {
    const merged = mergeGrid({ "donorGame.punishment": ["none", "costly"], generations: [1, 2] }, [
      ["generations", [3]],
      ["donorGame.multiplier", [1, 2]],
    ]);
    expect(merged).toEqual([
      ["donorGame.punishment", ["none", "costly"]],
      ["generations", [3]],
      ["donorGame.multiplier", [1, 2]],
    ]);
    expect(() => mergeGrid(undefined, [["seed", [1, 2]]])).toThrow(/use --seeds/);
    expect(() =>
      mergeGrid(undefined, [
        ["a", [1]],
        ["a", [2]],
      ]),
    ).toThrow(/each key once/);
    expect(() => mergeGrid(undefined, [["a", [1, "1"]]])).toThrow(/distinct values/);
  });
});

describe("key paths", () => {
  it("sets nested keys, list items by index, and keys that contain dots, in a copy", () => {
    const raw = {
      population: {
        minds: [
          { count: 2, profile: "a" },
          { count: 2, profile: "b" },
        ],
      },
      profiles: { "gpt-4.1": { model: "m" } },
    };
    const patched = setPath(raw, "population.minds.1.profile", "c") as typeof raw;
    expect(patched.population.minds[1]!.profile).toBe("c");
    expect(raw.population.minds[1]!.profile).toBe("b");
    const dotted = setPath(raw, "profiles.gpt-4.1.temperature", 0.5) as {
      profiles: Record<string, Record<string, unknown>>;
    };
    expect(dotted.profiles["gpt-4.1"]).toEqual({ model: "m", temperature: 0.5 });
    expect(setPath({}, "donorGame.multiplier", 3)).toEqual({ donorGame: { multiplier: 3 } });
  });

  it("names the key and the value when an index is past the list or a key goes into a scalar", () => {
    const raw = { population: { size: 4, minds: [{ count: 4, policy: "defect" }] } };
    expect(() => setPath(raw, "population.minds.3.count", 1)).toThrow(
      /^population\.minds\.3\.count: got 1, expected an index below 1/,
    );
    expect(() => setPath(raw, "population.minds.x.count", 1)).toThrow(/not "x"/);
    expect(() => setPath(raw, "population.size.value", 1)).toThrow(
      /^population\.size\.value: got 1, expected a path into a mapping or list, but population\.size holds 4/,
    );
  });
});

describe("run names", () => {
  it("are condition and seed, stable and filesystem-safe, distinct where sanitising would merge them", () => {
    expect(runId({}, 3)).toBe("baseline__s3");
    expect(runId({ "donorGame.punishment": "costly" }, 0)).toBe("donorGame.punishment-costly__s0");
    expect(runId({ "donorGame.punishment": "costly", "population.minds.0.profile": "a" }, 12)).toBe(
      "donorGame.punishment-costly+population.minds.0.profile-a__s12",
    );
    const spaced = conditionSlug({ k: "a b" });
    const underscored = conditionSlug({ k: "a_b" });
    expect(spaced).toMatch(/^k-a_b~[0-9a-f]{8}$/);
    expect(underscored).toBe("k-a_b");
    expect(conditionSlug({ k: "a/b" })).not.toBe(conditionSlug({ k: "a\\b" }));
    expect(conditionSlug({ k: "x".repeat(200) }).length).toBeLessThanOrEqual(89);
    expect(conditionSlug({ k: "a b" })).toBe(spaced); // stable
    // A value holding the pair separator, or a `=`, is sanitised and hashed: never merged with
    // another condition, never a `key=value` segment.
    const joined = conditionSlug({ k: "a+j-b" });
    expect(joined).not.toBe(conditionSlug({ k: "a", j: "b" }));
    expect(conditionSlug({ k: "x=y" })).toMatch(/^k-x_y~[0-9a-f]{8}$/);
    // `..` is not a run id the server serves: hashed too.
    expect(conditionSlug({ k: "1..2" })).toMatch(/^k-1_\.2~[0-9a-f]{8}$/);
    for (const name of [
      spaced,
      joined,
      conditionSlug({ k: "../../etc" }),
      conditionSlug({ k: "[1, 2]" }),
      conditionSlug({ k: "1..2" }),
    ]) {
      expect(name).toMatch(/^[A-Za-z0-9._+~-]+$/);
      expect(name).not.toContain("..");
    }
  });
});

describe("the plan", () => {
  it("is the cross product of the grid (first axis slowest) times the seeds, each with its patched config", () => {
    const specs = planBatch({
      raw: { ...BASE, batch: { seeds: "0..1" } },
      configDir: tmp.path,
      grid: [
        ["donorGame.multiplier", [1, 2]],
        ["population.minds.0.fraction", [0.1, 0.9]],
      ],
      seeds: [5, 6],
    });
    expect(specs.map((s) => s.id)).toEqual([
      "donorGame.multiplier-1+population.minds.0.fraction-0.1__s5",
      "donorGame.multiplier-1+population.minds.0.fraction-0.1__s6",
      "donorGame.multiplier-1+population.minds.0.fraction-0.9__s5",
      "donorGame.multiplier-1+population.minds.0.fraction-0.9__s6",
      "donorGame.multiplier-2+population.minds.0.fraction-0.1__s5",
      "donorGame.multiplier-2+population.minds.0.fraction-0.1__s6",
      "donorGame.multiplier-2+population.minds.0.fraction-0.9__s5",
      "donorGame.multiplier-2+population.minds.0.fraction-0.9__s6",
    ]);
    const last = specs.at(-1)!;
    expect(last.condition).toEqual({
      "donorGame.multiplier": "2",
      "population.minds.0.fraction": "0.9",
    });
    expect(last.conditionLabel).toBe("donorGame.multiplier=2, population.minds.0.fraction=0.9");
    expect(last.raw).toEqual({
      ...BASE,
      seed: 6,
      donorGame: { multiplier: 2 },
      population: {
        size: 4,
        minds: [{ ...BASE.population.minds[0], fraction: 0.9 }, BASE.population.minds[1]],
      },
    });
    expect(specs[0]!.raw).toEqual({
      ...BASE,
      seed: 5,
      donorGame: { multiplier: 1 },
      population: {
        size: 4,
        minds: [{ ...BASE.population.minds[0], fraction: 0.1 }, BASE.population.minds[1]],
      },
    });
  });

  it("without a grid is one baseline condition", () => {
    const specs = planBatch({ raw: BASE, configDir: tmp.path, grid: [], seeds: [0, 1] });
    expect(specs.map((s) => [s.id, s.conditionLabel])).toEqual([
      ["baseline__s0", "baseline"],
      ["baseline__s1", "baseline"],
    ]);
  });

  it("validation names the key and value of a bad condition, including errors only the graph reveals", () => {
    const plan = (grid: [string, unknown[]][]) =>
      planBatch({ raw: BASE, configDir: tmp.path, grid, seeds: [0] });
    expect(() => validatePlan(plan([["donorGame.punishment", ["none", "harsh"]]]))).toThrow(
      'donorGame.punishment: got "harsh", expected one of "none", "costly", "partner-choice" (in condition donorGame.punishment=harsh)',
    );
    expect(() => validatePlan(plan([["donorGame.punishmnt", ["none"]]]))).toThrow(
      /^donorGame\.punishmnt: got "none", expected no such key here/,
    );
    expect(() =>
      validatePlan(plan([["graph", [{ type: "complete" }, { type: "grid", rows: 3, cols: 3 }]]])),
    ).toThrow(/graph\.rows.*population size 4.*in condition graph=/);
    expect(() =>
      validatePlan(plan([["population.minds.1.policy", ["defect", "nonsense"]]])),
    ).toThrow(/^population\.minds\.1\.policy: got "nonsense"/);
    expect(() => validatePlan(plan([["donorGame.multiplier", [1, 2]]]))).not.toThrow();
  });

  it("reads a batch declared in the config; --seeds and --grid override it", () => {
    const path = writeConfig(tmp.path, "declared.yaml", {
      ...BASE,
      batch: { seeds: "0..2", grid: { "donorGame.punishment": ["none", "costly"] } },
    });
    const declared = prepareBatch({ configPath: path });
    expect(declared.seeds).toEqual([0, 1, 2]);
    expect(declared.specs).toHaveLength(6);
    expect(declared.specs[3]!.id).toBe("donorGame.punishment-costly__s0");
    const overridden = prepareBatch({
      configPath: path,
      seeds: "7",
      grid: [["donorGame.punishment", ["partner-choice"]]],
    });
    expect(overridden.specs.map((s) => s.id)).toEqual(["donorGame.punishment-partner-choice__s7"]);
    const bad = writeConfig(tmp.path, "bad-batch.yaml", {
      ...BASE,
      batch: { seeds: "0..2", grdi: {} },
    });
    expect(() => prepareBatch({ configPath: bad })).toThrow(
      /^batch\.grdi: got \{\}, expected no such key here/,
    );
    const undeclared = prepareBatch({ configPath: writeConfig(tmp.path, "plain.yaml", BASE) });
    expect(undeclared.specs.map((s) => s.id)).toEqual(["baseline__s4"]);
  });
});

describe("batch flags that patch every run", () => {
  it("--model puts every LLM mind on one profile (policies unchanged); --cache sets every run's cache mode", () => {
    const path = writeConfig(tmp.path, "models.yaml", {
      ...BASE,
      profiles: { a: { model: "m-a" }, b: { model: "m-b" } },
      population: {
        size: 4,
        minds: [
          { count: 1, profile: "a" },
          { count: 1, llm: { model: "inline" } },
          { count: 2, policy: "defect" },
        ],
      },
    });
    const plan = prepareBatch({ configPath: path, seeds: "0", model: "b", cacheMode: "replay" });
    expect(plan.specs[0]!.raw).toMatchObject({ cache: { mode: "replay" } });
    expect((plan.specs[0]!.raw as typeof BASE).population.minds).toEqual([
      { count: 1, profile: "b" },
      { count: 1, profile: "b" },
      { count: 2, policy: "defect" },
    ]);
    expect(() => prepareBatch({ configPath: path, seeds: "0", model: "zzz" })).toThrow(
      /^population\.minds\.0\.profile: got "zzz", expected a profile defined under profiles/,
    );
  });

  it("a single run's config keeps no batch section: its configHash equals the batch's run of the same seed", () => {
    const declared = { ...BASE, batch: { seeds: "0..1" } };
    const single = resolveConfig(declared, SCENARIOS, {}, tmp.path);
    expect(single.config).not.toHaveProperty("batch");
    const [spec] = planBatch({ raw: declared, configDir: tmp.path, grid: [], seeds: [BASE.seed] });
    expect(resolveConfig(spec!.raw, SCENARIOS, {}, tmp.path).hash).toBe(single.hash);
  });
});
