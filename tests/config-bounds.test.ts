/**
 * Config bounds and strictness: a huge count is a config error naming the field (exit 2), never a
 * native crash; every documented bound is enforced; an unknown key is an error in every object of
 * the config, mind entries included; `baseURL` is checked as an http(s) URL when validating.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { builtinScenarios } from "../sim/app/scenarios.js";
import { baseConfigSchema, readConfigFile, resolveConfig } from "../sim/core/config.js";
import { ConfigError } from "../sim/core/errors.js";
import { LIMITS } from "../sim/core/limits.js";
import { ROOT, runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const SCENARIOS = await builtinScenarios();
const tmp = tempDir("config-bounds");
afterAll(tmp.cleanup);

/** A valid offline Donor Game, to break one field at a time. */
function donor(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scenario: "donor-game",
    generations: 1,
    population: { size: 4, minds: [{ count: 4, policy: "constant", fraction: 0.5 }] },
    ...extra,
  };
}

const LLM_PROFILES = { m: { model: "some-model", baseURL: "http://127.0.0.1:9/v1" } };

/** The ConfigError `raw` resolves to (the test fails if it resolves). */
function configError(raw: unknown): ConfigError {
  try {
    resolveConfig(raw, SCENARIOS);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("the config resolved");
}

let files = 0;
async function validate(config: Record<string, unknown>) {
  const path = writeConfig(tmp.path, `config-${++files}.yaml`, config);
  return runCli(["validate", path]);
}

describe("bounds", () => {
  it("a huge population.size exits 2 naming the field, with no native crash", async () => {
    const size = 1_000_000_000;
    const result = await validate(
      donor({ population: { size, minds: [{ count: size, policy: "defect" }] } }),
    );
    expect(result.code).toBe(2);
    expect(result.signal).toBeNull();
    expect(result.stderr).toContain(
      `population.size: got ${size}, expected a number <= ${LIMITS.populationSize}`,
    );
    expect(result.stderr).not.toMatch(/FATAL|v8::|node::/);
  });

  it("rounds: 1e9 exits 2 naming the field", async () => {
    const result = await validate(donor({ donorGame: { rounds: 1e9 } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `donorGame.rounds: got 1000000000, expected a number <= ${LIMITS.rounds}`,
    );
  });

  const cases: [string, Record<string, unknown>, number][] = [
    ["generations", donor({ generations: LIMITS.generations + 1 }), LIMITS.generations],
    [
      "population.minds.0.count",
      donor({ population: { size: 4, minds: [{ count: 1e9, policy: "defect" }] } }),
      LIMITS.populationSize,
    ],
    [
      "llm.maxConcurrency",
      donor({ llm: { maxConcurrency: LIMITS.maxConcurrency + 1 } }),
      LIMITS.maxConcurrency,
    ],
    [
      "profiles.m.maxTokens",
      donor({ profiles: { m: { ...LLM_PROFILES.m, maxTokens: LIMITS.maxTokens + 1 } } }),
      LIMITS.maxTokens,
    ],
    [
      "profiles.m.contextWindow",
      donor({ profiles: { m: { ...LLM_PROFILES.m, contextWindow: LIMITS.contextWindow + 1 } } }),
      LIMITS.contextWindow,
    ],
    [
      "profiles.m.timeoutMs",
      donor({ profiles: { m: { ...LLM_PROFILES.m, timeoutMs: 3e9 } } }),
      LIMITS.timeoutMs,
    ],
    [
      "donorGame.parseRetries",
      donor({ donorGame: { parseRetries: LIMITS.parseRetries + 1 } }),
      LIMITS.parseRetries,
    ],
    [
      "donorGame.traceDepth",
      donor({ donorGame: { traceDepth: LIMITS.traceDepth + 1 } }),
      LIMITS.traceDepth,
    ],
    [
      "publicGoods.rounds",
      {
        ...donor({ scenario: "public-goods", graph: { type: "cycle" } }),
        publicGoods: { rounds: 1e9 },
      },
      LIMITS.rounds,
    ],
    [
      "debate.questionsPerGeneration",
      {
        ...donor({ scenario: "debate" }),
        population: { size: 3, minds: [{ count: 3, policy: "solver" }] },
        debate: { questions: { builtin: "topics" }, questionsPerGeneration: 1e9 },
      },
      LIMITS.questions,
    ],
    [
      "debate.questions.count",
      {
        ...donor({ scenario: "debate" }),
        population: { size: 3, minds: [{ count: 3, policy: "solver" }] },
        debate: { questions: { generator: "arithmetic", count: 1e9 } },
      },
      LIMITS.questions,
    ],
    ["graph.rows", donor({ graph: { type: "grid", rows: 1e9, cols: 1 } }), LIMITS.populationSize],
  ];
  it.for(cases)("%s above its bound is a config error naming the bound", ([path, raw, bound]) => {
    const error = configError(raw);
    expect(error.path).toBe(path);
    expect(error.message).toContain(`<= ${bound}`);
  });

  it("a graph too large to build is refused before it is built, naming the graph", () => {
    const size = 20_000;
    const population = { size, minds: [{ count: size, policy: "defect" }] };
    const dense = configError(
      donor({ population, graph: { type: "llm-culture", structure: "fully_connected" } }),
    );
    expect(dense.path).toBe("graph");
    expect(dense.message).toContain(
      `a graph of at most 1,000,000 edges: llm-culture on ${size} agents has 199,990,000`,
    );
    // The complete graph is implicit (sim/core/graph/social.ts): no edge is stored, no edge cap.
    expect(resolveConfig(donor({ population }), SCENARIOS).minds).toHaveLength(size);
    const random = configError(donor({ population, graph: { type: "erdos-renyi", p: 0.5 } }));
    expect(random.path).toBe("graph");
    // The same population on a ring is fine: the bound is on edges, not agents.
    const ring = resolveConfig(donor({ population, graph: { type: "cycle" } }), SCENARIOS);
    expect(ring.minds).toHaveLength(size);
  });

  it("docs/config.md's Bounds table lists every bound", () => {
    const docs = readFileSync(join(ROOT, "docs/config.md"), "utf8");
    const table = docs.slice(docs.indexOf("### Bounds"), docs.indexOf("### Scenario sections"));
    for (const [name, value] of Object.entries(LIMITS))
      expect(table, name).toMatch(new RegExp(`\\| ${value.toLocaleString("en-US")} \\|$`, "m"));
  });
});

describe("baseURL", () => {
  it.for([
    ["localhost:11434/v1", "a scheme that is not http"],
    ["ftp://example.com/v1", "ftp"],
    ["not a url", "no URL at all"],
  ])("agora validate refuses %j (%s), exit 2 naming the field", async ([baseURL]) => {
    const result = await validate(
      donor({
        profiles: { m: { model: "x", baseURL } },
        population: { size: 4, minds: [{ count: 4, profile: "m" }] },
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "profiles.m.baseURL: got " +
        JSON.stringify(baseURL) +
        ", expected an http:// or https:// URL",
    );
  });
});

describe("unknown keys", () => {
  it.for([
    ["beside profile", { count: 4, profile: "m", temprature: 0.2 }],
    ["beside llm", { count: 4, llm: LLM_PROFILES.m, temprature: 0.2 }],
  ])("temprature %s in a mind entry exits 2 naming the key", async ([, entry]) => {
    const result = await validate(
      donor({ profiles: LLM_PROFILES, population: { size: 4, minds: [entry] } }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("population.minds.0.temprature: got 0.2, expected no such key");
  });

  it("temprature in a profile exits 2 naming the key", async () => {
    const result = await validate(
      donor({
        profiles: { m: { ...LLM_PROFILES.m, temprature: 0.2 } },
        population: { size: 4, minds: [{ count: 4, profile: "m" }] },
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("profiles.m.temprature: got 0.2, expected no such key");
  });

  /**
   * Every object schema reachable from the base schema, the scenarios' sections and their
   * policies' parameters, with what it does with an unknown key: "never" (an error), "unknown"
   * (kept, for code to check) or "strip" (dropped without a word).
   */
  function objectSchemas(schema: z.ZodType, path: string, out: [string, string][] = []) {
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    const inner = (key: string) => def[key] as z.ZodType;
    switch (def.type) {
      case "object": {
        const catchall = def.catchall as z.ZodType | undefined;
        out.push([path, catchall ? catchall._zod.def.type : "strip"]);
        for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>))
          objectSchemas(value, `${path}.${key}`, out);
        break;
      }
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "readonly":
      case "catch":
      case "nonoptional":
        objectSchemas(inner("innerType"), path, out);
        break;
      case "pipe":
        objectSchemas(inner("in"), path, out);
        objectSchemas(inner("out"), path, out);
        break;
      case "array":
        objectSchemas(inner("element"), `${path}[]`, out);
        break;
      case "record":
        objectSchemas(inner("valueType"), `${path}.*`, out);
        break;
      case "union":
        for (const option of def.options as z.ZodType[]) objectSchemas(option, path, out);
        break;
      case "intersection":
        objectSchemas(inner("left"), path, out);
        objectSchemas(inner("right"), path, out);
        break;
      case "lazy":
      case "tuple":
        throw new Error(`${path}: a ${def.type} schema; teach this walker about it`);
    }
    return out;
  }

  it("every object of every schema refuses unknown keys, but for those code checks", () => {
    const objects = objectSchemas(baseConfigSchema, "(root)");
    for (const scenario of Object.values(SCENARIOS)) {
      objectSchemas(scenario.configSchema, scenario.configKey, objects);
      for (const [name, policy] of Object.entries(scenario.policies))
        objectSchemas(policy.paramsSchema, `${scenario.id} policy ${name}`, objects);
    }
    expect(objects.length).toBeGreaterThan(40);
    expect(objects.filter(([, kind]) => kind === "strip")).toEqual([]);
    // Loose by design: the scenario's section beside the base keys, a policy's parameters beside
    // `policy`, a role's beside `policy`; resolveConfig and the debate's check refuse anything else
    // (the next test tries them). An `update:` rule is read loosely for its name only, then by the
    // strict form of that rule (tests/selection-rules.test.ts refuses an extra key in each).
    expect(objects.filter(([, kind]) => kind !== "never").map(([path]) => path)).toEqual([
      "(root)",
      "(root).population.minds[]",
      "debate.judge",
      "debate.summariser",
      "debate.evolution.update",
      "donorGame.update",
      "publicGoods.update",
    ]);
  });

  /** Every config YAML under scenarios/ (prompt templates are YAML too, but not configs). */
  function shippedConfigs(dir = join(ROOT, "scenarios")): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "prompts" ? [] : shippedConfigs(path);
      return /\.ya?ml$/.test(entry.name) ? [path] : [];
    });
  }

  /** The dotted path of every mapping in `value` (batch grid values are not config objects). */
  function mappings(value: unknown, path: string[] = []): string[][] {
    if (Array.isArray(value)) return value.flatMap((v, i) => mappings(v, [...path, String(i)]));
    if (value === null || typeof value !== "object") return [];
    if (path.join(".") === "batch.grid") return [path];
    return [path, ...Object.entries(value).flatMap(([key, v]) => mappings(v, [...path, key]))];
  }

  const CONFIGS = shippedConfigs().map((path) => relative(ROOT, path));

  it.for(CONFIGS)("%s: temprature in any of its objects is an error naming it", (file) => {
    const raw = readConfigFile(join(ROOT, file));
    const paths = mappings(raw);
    expect(paths.length).toBeGreaterThan(3);
    for (const path of paths) {
      const copy = structuredClone(raw) as Record<string, unknown>;
      const target = path.reduce<Record<string, unknown>>(
        (object, key) => object[key] as Record<string, unknown>,
        copy,
      );
      target.temprature = 0.2;
      expect(configError(copy).path, `temprature in ${path.join(".") || "(root)"}`).toBe(
        [...path, "temprature"].join("."),
      );
    }
  });
});
