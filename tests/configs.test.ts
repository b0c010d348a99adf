import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { builtinScenarios } from "../sim/app/scenarios.js";
import { readConfigFile, resolveConfig } from "../sim/core/config.js";
import { EVENT_VERSION } from "../sim/core/events.js";

const SCENARIOS = await builtinScenarios();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TMP = mkdtempSync(join(tmpdir(), "agora-configs-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The README's "Contract for outside checks" config, verbatim. */
const CONTRACT_YAML = `scenario: donor-game
seed: 7
generations: 1
population:
  size: 12
  minds:
    - { count: 12, policy: constant, fraction: 0.5 }
donorGame: { schedule: code, selection: mean-both-games, multiplier: 2, endowment: 10, traceDepth: 3 }
`;

/** An environment without API keys: configs must resolve and validate without them. */
const KEYLESS_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/API_KEY/i.test(name)),
);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function agora(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/agora.js", ...args], {
      cwd: ROOT,
      env: KEYLESS_ENV,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let fileCount = 0;
function writeConfig(text: string): string {
  const path = join(TMP, `config-${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
}

function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Every config YAML under scenarios/ (prompt templates are YAML too, but not configs). */
function scenarioConfigs(dir = join(ROOT, "scenarios")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "prompts" ? [] : scenarioConfigs(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

const CONFIGS = scenarioConfigs().map((path) => relative(ROOT, path));

describe("example configs", () => {
  it("include the documented examples", () => {
    expect(CONFIGS).toEqual(
      expect.arrayContaining([
        "scenarios/donor-game/offline-demo.yaml",
        "scenarios/donor-game/paper-baseline.yaml",
        "scenarios/donor-game/punishment.yaml",
        "scenarios/donor-game/three-models.yaml",
      ]),
    );
  });

  it.for(CONFIGS)("%s resolves against the scenario registry", (path) => {
    const loaded = resolveConfig(readConfigFile(join(ROOT, path)), SCENARIOS);
    expect(loaded.minds).toHaveLength(loaded.config.population.size);
    // Keys live in the environment only: a profile names a variable, never holds a key.
    for (const profile of Object.values(loaded.profiles))
      expect(JSON.stringify(profile)).not.toMatch(/sk-|apiKey"/);
  });

  it.concurrent.for(CONFIGS)(
    "agora validate %s prints valid: without any API key set",
    async (path, { expect }) => {
      const result = await agora(["validate", path]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const { scenario } = readConfigFile(join(ROOT, path)) as { scenario: string };
      expect(result.stdout).toContain(`valid: ${path} (${scenario}, `);
    },
  );

  it("paper-baseline: 12 agents of one model, 10 generations, the paper's game", () => {
    const { config, minds, profiles } = resolveConfig(
      readConfigFile(join(ROOT, "scenarios/donor-game/paper-baseline.yaml")),
      SCENARIOS,
    );
    expect(config.population.size).toBe(12);
    expect(config.generations).toBe(10);
    expect(new Set(minds.map((m) => (m.kind === "llm" ? m.profile : m.policy)))).toEqual(
      new Set(["gpt-4o"]),
    );
    expect(profiles["gpt-4o"]).toMatchObject({
      model: "gpt-4o",
      apiKeyEnv: "OPENAI_API_KEY",
      price: { input: expect.any(Number), output: expect.any(Number) },
    });
    expect(config.donorGame).toMatchObject({
      rounds: 12,
      games: 2,
      endowment: 10,
      multiplier: 2,
      traceDepth: 3,
      punishment: "none",
      survivorFraction: 0.5,
    });
  });

  it("punishment: costly punishment with punishmentLoss 2", () => {
    const { config, minds } = resolveConfig(
      readConfigFile(join(ROOT, "scenarios/donor-game/punishment.yaml")),
      SCENARIOS,
    );
    expect(config.donorGame).toMatchObject({ punishment: "costly", punishmentLoss: 2 });
    expect(minds.every((m) => m.kind === "llm")).toBe(true);
  });

  it("three-models: 4 + 4 + 4 agents on OpenAI, Anthropic and Gemini endpoints, keys from env vars", () => {
    const { minds, profiles } = resolveConfig(
      readConfigFile(join(ROOT, "scenarios/donor-game/three-models.yaml")),
      SCENARIOS,
    );
    const counts: Record<string, number> = {};
    for (const m of minds) if (m.kind === "llm") counts[m.profile] = (counts[m.profile] ?? 0) + 1;
    expect(Object.values(counts)).toEqual([4, 4, 4]);
    const endpoints = Object.values(profiles).map((p) => [p.baseURL, p.apiKeyEnv]);
    expect(endpoints).toEqual(
      expect.arrayContaining([
        ["https://api.openai.com/v1", "OPENAI_API_KEY"],
        ["https://api.anthropic.com/v1/", "ANTHROPIC_API_KEY"],
        ["https://generativelanguage.googleapis.com/v1beta/openai/", "GEMINI_API_KEY"],
      ]),
    );
    // --model swaps every LLM mind onto one profile: the paper's one-model societies.
    for (const name of Object.keys(profiles)) {
      const single = resolveConfig(
        readConfigFile(join(ROOT, "scenarios/donor-game/three-models.yaml")),
        SCENARIOS,
        { model: name },
      );
      expect(new Set(single.minds.map((m) => (m.kind === "llm" ? m.profile : "policy")))).toEqual(
        new Set([name]),
      );
    }
  });
});

describe("contract for outside checks", () => {
  it("`agora run CONFIG --out DIR` writes manifest, events and metrics and exits 0", async () => {
    const config = writeConfig(CONTRACT_YAML);
    const out = join(TMP, "contract-run");
    const result = await agora(["run", config, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    // Progress on stderr, the summary on stdout, and no error.
    expect(result.stderr).toMatch(/^generation 1\/1 done: /m);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.stdout).toMatch(/^completed: 1 generation\(s\), /);
    for (const name of ["manifest.json", "events.jsonl", "metrics.jsonl"])
      expect(existsSync(join(out, name)), name).toBe(true);

    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({
      status: "completed",
      scenario: "donor-game",
      seed: 7,
      generationsCompleted: 1,
    });

    const rows = readJsonLines(join(out, "metrics.jsonl"));
    expect(rows.map((r) => r.generation)).toEqual([1]);
    for (const row of rows) {
      expect(row.avgFinalResources).toEqual(expect.any(Number));
      expect(row.avgDonationFraction).toEqual(expect.any(Number));
      // Mean over both games; a constant 50% policy gives half of its holdings every time.
      expect(row.avgFinalResources).toBeCloseTo(
        ((row.game1AvgResources as number) + (row.game2AvgResources as number)) / 2,
        9,
      );
      expect(row.avgDonationFraction).toBeCloseTo(0.5, 9);
    }

    const events = readJsonLines(join(out, "events.jsonl"));
    expect(events[0]).toMatchObject({ type: "run-started", seq: 0, v: EVENT_VERSION });
    expect(events.at(-1)).toMatchObject({ type: "run-ended", status: "completed" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  });
});

describe("README stays in step with the code", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  it("shows the contract config verbatim", () => {
    expect(readme).toContain("```yaml\n" + CONTRACT_YAML + "```");
  });

  it("quotes the Donor Game parsing rules of parse.ts verbatim", () => {
    const source = readFileSync(join(ROOT, "scenarios/donor-game/parse.ts"), "utf8");
    const comment = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(source)?.[1];
    expect(comment).toBeDefined();
    const rules = comment!
      .split("\n")
      .map((line) => line.replace(/^ \* ?/, ""))
      .join("\n");
    expect(rules).toContain("Parsing rules for Donor Game answers");
    expect(readFileSync(join(ROOT, "scenarios/donor-game/README.md"), "utf8")).toContain(rules);
  });
});

/** Each case: a config (or a change to the contract config), and what stderr must name. */
const BAD_CONFIGS: { name: string; yaml: string; expect: string[] }[] = [
  {
    name: "odd population size",
    yaml: CONTRACT_YAML.replace("size: 12", "size: 13").replace("count: 12", "count: 13"),
    expect: ["population.size", "13", "even"],
  },
  {
    name: "mind counts not adding up to population.size",
    yaml: CONTRACT_YAML.replace("count: 12", "count: 11"),
    expect: ["population.minds", "got 11", "population.size (12)"],
  },
  {
    name: "unknown key at the root",
    yaml: `${CONTRACT_YAML}colour: blue\n`,
    expect: ["colour", '"blue"', "a known key"],
  },
  {
    name: "unknown key inside donorGame",
    yaml: CONTRACT_YAML.replace("traceDepth: 3 }", "traceDepth: 3, rounds2: 4 }"),
    expect: ["donorGame.rounds2: got 4", "no such key"],
  },
  {
    name: "a fraction where an integer goes",
    yaml: CONTRACT_YAML.replace("traceDepth: 3 }", "traceDepth: 3, rounds: 1.5 }"),
    expect: ["donorGame.rounds: got 1.5, expected an integer"],
  },
  {
    name: "a bound with the schema's own words",
    yaml: `${CONTRACT_YAML}graph: { type: grid, rows: 0, cols: 12 }\n`,
    expect: ["graph.rows: got 0, expected an integer >= 1"],
  },
  {
    name: "negative multiplier",
    yaml: CONTRACT_YAML.replace("multiplier: 2", "multiplier: -1"),
    expect: ["donorGame.multiplier: got -1, expected a number >= 0"],
  },
  {
    name: "unknown schedule",
    yaml: CONTRACT_YAML.replace("schedule: code", "schedule: weird"),
    expect: ["donorGame.schedule", '"weird"', '"code"', '"alternating"'],
  },
  {
    name: "unknown policy",
    yaml: CONTRACT_YAML.replace("policy: constant", "policy: saint"),
    expect: ["population.minds.0.policy", '"saint"', "tit-for-tat"],
  },
  {
    name: "policy parameter out of range",
    yaml: CONTRACT_YAML.replace("fraction: 0.5", "fraction: 1.5"),
    expect: ["population.minds.0.fraction: got 1.5, expected a number <= 1"],
  },
  {
    name: "profile that does not exist",
    yaml: CONTRACT_YAML.replace("policy: constant, fraction: 0.5", "profile: gpt-9"),
    expect: ["population.minds.0.profile", '"gpt-9"', "profiles"],
  },
  {
    name: "watts-strogatz with odd k",
    yaml: `${CONTRACT_YAML}graph: { type: watts-strogatz, k: 3, beta: 0.1 }\n`,
    expect: ["graph.k", "got 3", "even"],
  },
  {
    name: "a grid that does not fit the population (only building the graph reveals it)",
    yaml: `${CONTRACT_YAML}graph: { type: grid, rows: 3, cols: 3 }\n`,
    expect: ["graph", "12"],
  },
  {
    name: "invalid YAML",
    yaml: "scenario: donor-game\npopulation: { size: 12\n",
    expect: ["valid YAML", "config-"],
  },
];

describe("bad configs: exit 2 with the field and the value named", () => {
  it.concurrent.for(BAD_CONFIGS)("$name", async (bad, { expect }) => {
    const path = writeConfig(bad.yaml);
    const result = await agora(["validate", path]);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain("valid:");
    expect(result.stderr).toMatch(/^config error: /);
    for (const part of bad.expect) expect(result.stderr).toContain(part);
  });

  it("`agora run` rejects a bad config the same way, before creating a run directory", async () => {
    const out = join(TMP, "never-created");
    const result = await agora([
      "run",
      writeConfig(CONTRACT_YAML.replace("multiplier: 2", "multiplier: -1")),
      "--out",
      out,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("donorGame.multiplier: got -1");
    expect(existsSync(out)).toBe(false);
  });

  it("a missing config file exits 2 naming the path", async () => {
    const result = await agora(["validate", join(TMP, "missing.yaml")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing.yaml");
  });
});

const BAD_FLAGS: { flag: string[]; expect: string[] }[] = [
  { flag: ["--seed", "abc"], expect: ["--seed", '"abc"', "integer"] },
  { flag: ["--max-calls", "-1"], expect: ["--max-calls", '"-1"', "positive"] },
  { flag: ["--max-calls", "2.5"], expect: ["--max-calls", '"2.5"', "integer"] },
  { flag: ["--max-cost", "0"], expect: ["--max-cost", '"0"', "positive"] },
  { flag: ["--cache", "nope"], expect: ["--cache", "nope", "off, read-write, replay"] },
  { flag: ["--no-such-flag"], expect: ["--no-such-flag"] },
];

describe("CLI flag errors: exit 2 with the flag named", () => {
  it.concurrent.for(BAD_FLAGS)("$flag", async (bad, { expect }) => {
    const out = join(TMP, `flag-${bad.flag.join("")}`);
    const result = await agora(["run", writeConfig(CONTRACT_YAML), "--out", out, ...bad.flag]);
    expect(result.code).toBe(2);
    for (const part of bad.expect) expect(result.stderr).toContain(part);
    expect(existsSync(out)).toBe(false);
  });
});
